import { Box, Text, useApp, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';

export interface ReviewItem {
  id: string;
  title: string;
  state: string;
  manifest: { risk: string; opCount: number; dataLoss: boolean; actions?: Record<string, number> };
  fromVersion: string;
  toVersion: string;
  planDigest: string;
}

export interface ReviewDetail extends ReviewItem {
  review?:
    | {
        status?: string;
        layers?: { name: string; role: string; applies: boolean; missing: number; approvedBy: string[] }[];
      }
    | { error: string };
}

/** What the review screen needs from the control plane (and the local key, to sign). */
export interface ReviewBackend {
  list(): Promise<ReviewItem[]>;
  load(id: string): Promise<ReviewDetail>;
  /** Signs with the local approver key; the sentence to show. */
  decide(id: string, decision: 'approve' | 'reject', reason?: string): Promise<string>;
}

type Screen =
  | { kind: 'list' }
  | { kind: 'detail'; change: ReviewDetail }
  | { kind: 'reason'; change: ReviewDetail; text: string };

const RISK_COLOUR: Record<string, string> = { safe: 'green', caution: 'yellow', destructive: 'red' };

/**
 * `isotyp review`: the changes waiting for review → one change's detail → approve (a) or reject
 * (r, with a reason) — signed with this machine's approver key — → back to the list. Keys are
 * listed on every screen; q or Esc leaves.
 */
export function ReviewApp(props: { backend: ReviewBackend }) {
  const { exit } = useApp();
  const [items, setItems] = useState<ReviewItem[] | undefined>(undefined);
  const [cursor, setCursor] = useState(0);
  const [screen, setScreen] = useState<Screen>({ kind: 'list' });
  const [message, setMessage] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  // Keys can arrive faster than renders: the handler reads the screen as it is now, not as it was
  // when the handler was made.
  const current = useRef(screen);
  current.current = screen;

  const reload = async () => {
    try {
      const list = await props.backend.list();
      setItems(list);
      // The one just decided has left the list: keep the cursor on a row that is there.
      setCursor((c) => Math.min(c, Math.max(0, list.length - 1)));
    } catch (error) {
      setMessage({ tone: 'error', text: describe(error) });
      setItems([]);
    }
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once, on start.
  useEffect(() => {
    void reload();
  }, []);

  const act = async (work: () => Promise<string>) => {
    setBusy(true);
    try {
      setMessage({ tone: 'ok', text: await work() });
      setScreen({ kind: 'list' });
      await reload();
    } catch (error) {
      setMessage({ tone: 'error', text: describe(error) });
    } finally {
      setBusy(false);
    }
  };

  const open = async (id: string) => {
    setBusy(true);
    setMessage(undefined);
    try {
      setScreen({ kind: 'detail', change: await props.backend.load(id) });
    } catch (error) {
      setMessage({ tone: 'error', text: describe(error) });
    } finally {
      setBusy(false);
    }
  };

  useInput((input, key) => {
    if (busy) return;
    const screen = current.current;
    if (screen.kind === 'reason') {
      if (key.escape) setScreen({ kind: 'detail', change: screen.change });
      else if (key.return) {
        if (screen.text.trim() === '') setMessage({ tone: 'error', text: 'A rejection needs its reason.' });
        else void act(() => props.backend.decide(screen.change.id, 'reject', screen.text.trim()));
      } else if (key.backspace || key.delete) {
        current.current = { ...screen, text: screen.text.slice(0, -1) };
        setScreen(current.current);
      } else if (input !== '' && !key.ctrl && !key.meta) {
        current.current = { ...screen, text: screen.text + input };
        setScreen(current.current);
      }
      return;
    }
    if (input === 'q' || (key.escape && screen.kind === 'list')) {
      exit();
      return;
    }
    if (screen.kind === 'list') {
      const count = items?.length ?? 0;
      if (key.downArrow || input === 'j') setCursor((c) => Math.min(c + 1, Math.max(0, count - 1)));
      if (key.upArrow || input === 'k') setCursor((c) => Math.max(c - 1, 0));
      const chosen = items?.[cursor];
      if (key.return && chosen !== undefined) void open(chosen.id);
      return;
    }
    if (key.escape || input === 'b') setScreen({ kind: 'list' });
    else if (input === 'a') void act(() => props.backend.decide(screen.change.id, 'approve'));
    else if (input === 'r') {
      current.current = { kind: 'reason', change: screen.change, text: '' };
      setScreen(current.current);
    }
  });

  return (
    <Box flexDirection="column">
      {screen.kind === 'list' ? (
        <ListScreen items={items} cursor={cursor} />
      ) : (
        <DetailScreen change={screen.change} reason={screen.kind === 'reason' ? screen.text : undefined} />
      )}
      {busy ? <Text color="cyan">… working</Text> : null}
      {message !== undefined && message.text !== '' ? (
        <Text color={message.tone === 'ok' ? 'green' : 'red'}>{message.text}</Text>
      ) : null}
    </Box>
  );
}

function ListScreen(props: { items: ReviewItem[] | undefined; cursor: number }) {
  if (props.items === undefined) return <Text color="cyan">Loading the changes waiting for review…</Text>;
  return (
    <Box flexDirection="column">
      <Text bold>Waiting for review ({props.items.length})</Text>
      {props.items.length === 0 ? <Text dimColor>Nothing to review.</Text> : null}
      {props.items.map((item, i) => (
        <Text key={item.id} inverse={i === props.cursor}>
          {i === props.cursor ? '›' : ' '}{' '}
          <Text color={RISK_COLOUR[item.manifest.risk] ?? 'white'}>{item.manifest.risk.padEnd(11)}</Text>
          {item.id} {item.title}
        </Text>
      ))}
      <Text dimColor>↑/↓ choose · Enter open · q quit</Text>
    </Box>
  );
}

function DetailScreen(props: { change: ReviewDetail; reason: string | undefined }) {
  const { change } = props;
  const layers = change.review !== undefined && 'layers' in change.review ? (change.review.layers ?? []) : [];
  return (
    <Box flexDirection="column">
      <Text bold>
        {change.title}{' '}
        <Text dimColor>
          ({change.id}, {change.state})
        </Text>
      </Text>
      <Text>
        risk <Text color={RISK_COLOUR[change.manifest.risk] ?? 'white'}>{change.manifest.risk}</Text>
        {change.manifest.dataLoss ? <Text color="red"> · DATA LOSS</Text> : null} · {change.manifest.opCount}{' '}
        operation(s) · {change.fromVersion} → {change.toVersion}
      </Text>
      <Text dimColor>plan {change.planDigest}</Text>
      {layers.map((layer) => (
        <Text key={layer.name}>
          layer {layer.name} ({layer.role}):{' '}
          {!layer.applies ? 'does not apply' : layer.missing === 0 ? 'signed' : `${layer.missing} more needed`}
        </Text>
      ))}
      {props.reason === undefined ? (
        <Text dimColor>a approve · r reject · b back · q quit</Text>
      ) : (
        <Text>
          Reason for rejecting: {props.reason}
          <Text inverse> </Text> <Text dimColor>(Enter sign and send · Esc cancel)</Text>
        </Text>
      )}
    </Box>
  );
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; hint?: string };
  return `${e.message ?? String(error)}${e.code ? ` [${e.code}]` : ''}${e.hint ? ` ${e.hint}` : ''}`;
}
