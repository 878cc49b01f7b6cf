/**
 * The console's one script, bundled for browsers (scripts/build-console.mjs). It does what must
 * happen in the browser because the private key never leaves it: keep the approver key
 * (encrypted under a passphrase, in localStorage), register its public half, and sign approvals
 * — then post only the signed envelope. Pages are rendered on the server and work for reading
 * without this script.
 */
import {
  CHANGE_SUBMISSION_ENVELOPE_TYPE,
  changeManifestDigest,
  encodePublicKey,
  generateKeyPair,
  KEY_REGISTRATION_ENVELOPE_TYPE,
  keyId,
  keyPairFromSeed,
  SEED_BYTES,
  sealEnvelope,
  signApproval,
} from '@isotyp/protocol';
import {
  checkStoredKey,
  KeyVaultError,
  keyFileOf,
  openSeed,
  parseKeyFile,
  type StoredKey,
  sealSeed,
} from './key-vault.js';

interface Problem {
  code: string;
  message: string;
  hint?: string;
}

const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
const org = document.body.dataset.org ?? '';
const user = document.body.dataset.user ?? '';
const storageKey = `isotyp.signing-key.${org}.${user}`;

function storedKey(): StoredKey | undefined {
  const text = localStorage.getItem(storageKey);
  if (text === null) return undefined;
  try {
    return checkStoredKey(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** A POST to the console with the session's CSRF token; the answer's JSON, or its error. */
async function post(path: string, body: unknown): Promise<{ ok: true; body: unknown } | { ok: false; error: Problem }> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'content-type': 'application/json',
        'x-csrf-token': csrf,
        'idempotency-key': crypto.randomUUID(),
      },
      body: JSON.stringify(body),
    });
  } catch {
    return {
      ok: false,
      error: {
        code: 'ISOTYP_UNAVAILABLE',
        message: 'The control plane did not answer.',
        hint: 'Check your connection and try again.',
      },
    };
  }
  const parsed = (await response.json().catch(() => undefined)) as { error?: Problem } | undefined;
  if (response.ok) return { ok: true, body: parsed };
  return {
    ok: false,
    error: parsed?.error ?? { code: 'ISOTYP_INTERNAL', message: `The control plane answered ${response.status}.` },
  };
}

/** Shows an outcome in a live region, as text (never as HTML). */
function show(region: Element | null, tone: 'ok' | 'error' | 'info', message: string, problem?: Problem): void {
  if (region === null) return;
  region.replaceChildren();
  const box = document.createElement('div');
  box.className = `alert alert-${tone}`;
  if (tone === 'error') box.setAttribute('role', 'alert');
  const strong = document.createElement('strong');
  strong.textContent = message;
  box.append(strong);
  if (problem !== undefined) {
    box.append(` ${problem.message}`);
    if (problem.hint !== undefined) {
      const hint = document.createElement('div');
      hint.textContent = problem.hint;
      box.append(hint);
    }
    const code = document.createElement('div');
    const codeText = document.createElement('code');
    codeText.textContent = problem.code;
    code.append(codeText);
    box.append(code);
  }
  region.append(box);
}

const problemOf = (error: unknown): Problem =>
  error instanceof KeyVaultError
    ? { code: error.code, message: error.message }
    : { code: 'ISOTYP_INTERNAL', message: error instanceof Error ? error.message : String(error) };

/** Registers the key's public half, in an envelope the key signs itself. Already registered is fine. */
async function register(seed: Uint8Array): Promise<{ ok: true } | { ok: false; error: Problem }> {
  const pair = keyPairFromSeed(seed);
  const envelope = sealEnvelope({
    type: KEY_REGISTRATION_ENVELOPE_TYPE,
    payload: { org, userId: user, keyId: keyId(pair.publicKey), publicKey: encodePublicKey(pair.publicKey) },
    secretKey: pair.secretKey,
  });
  pair.secretKey.fill(0);
  const answer = await post('/console/keys', { envelope });
  if (answer.ok || answer.error.code === 'ISOTYP_CONFLICT') return { ok: true };
  return answer;
}

// --- the signing key page --------------------------------------------------------------------

function keyPage(): void {
  const status = document.querySelector('[data-key-status]');
  const message = document.querySelector('[data-key-message]');
  const actions = document.querySelector<HTMLElement>('[data-key-actions]');
  if (status === null) return;
  const registered = new Set((status.getAttribute('data-registered') ?? '').split(' ').filter(Boolean));

  const render = () => {
    const key = storedKey();
    status.replaceChildren();
    const p = document.createElement('p');
    if (key === undefined) {
      p.textContent = 'No signing key in this browser yet. Create one, or import the key file you already have.';
    } else {
      p.append('This browser keeps key ');
      const code = document.createElement('code');
      code.textContent = key.keyId;
      p.append(code, registered.has(key.keyId) ? ' (registered).' : ' (not registered yet).');
    }
    status.append(p);
    if (actions !== null) actions.hidden = key === undefined;
  };
  render();

  const keep = async (seed: Uint8Array, passphrase: string, verb: string) => {
    const sealed = await sealSeed(seed, passphrase);
    localStorage.setItem(storageKey, JSON.stringify(sealed));
    const outcome = await register(seed);
    seed.fill(0);
    render();
    if (outcome.ok) {
      registered.add(sealed.keyId);
      render();
      show(
        message,
        'ok',
        `${verb} and registered key ${sealed.keyId}. Ask an admin to add it to the keyring (isotyp org sign-keyring).`,
      );
    } else {
      show(message, 'error', `${verb} the key here, but could not register it.`, outcome.error);
    }
  };

  document.querySelector<HTMLFormElement>('[data-key-generate]')?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const passphrase = String(data.get('passphrase') ?? '');
    if (passphrase !== String(data.get('confirm') ?? '')) {
      show(message, 'error', 'The passphrases differ.');
      return;
    }
    if (storedKey() !== undefined && !confirm('Replace the key kept in this browser? Export it first if you need it.'))
      return;
    busy(form, true);
    try {
      const pair = generateKeyPair();
      await keep(pair.secretKey.slice(0, SEED_BYTES), passphrase, 'Created');
      pair.secretKey.fill(0);
      form.reset();
    } catch (error) {
      show(message, 'error', 'Could not create the key.', problemOf(error));
    } finally {
      busy(form, false);
    }
  });

  document.querySelector<HTMLFormElement>('[data-key-import]')?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const file = data.get('file');
    busy(form, true);
    try {
      if (!(file instanceof File) || file.size === 0 || file.size > 4096) {
        throw new KeyVaultError('ISOTYP_KEY_INVALID', 'Choose the key file (a small JSON file).');
      }
      const { seed } = parseKeyFile(await file.text());
      await keep(seed, String(data.get('passphrase') ?? ''), 'Imported');
      form.reset();
    } catch (error) {
      show(message, 'error', 'Could not import the key.', problemOf(error));
    } finally {
      busy(form, false);
    }
  });

  const unlock = async (): Promise<Uint8Array | undefined> => {
    const key = storedKey();
    if (key === undefined) return undefined;
    const passphrase = prompt('Passphrase of the key kept in this browser');
    if (passphrase === null) return undefined;
    return openSeed(key, passphrase);
  };

  document.querySelector('[data-key-register]')?.addEventListener('click', async () => {
    try {
      const seed = await unlock();
      if (seed === undefined) return;
      const outcome = await register(seed);
      seed.fill(0);
      if (outcome.ok) {
        registered.add(storedKey()?.keyId ?? '');
        render();
        show(message, 'ok', 'Registered.');
      } else show(message, 'error', 'Could not register the key.', outcome.error);
    } catch (error) {
      show(message, 'error', 'Could not unlock the key.', problemOf(error));
    }
  });

  document.querySelector('[data-key-export]')?.addEventListener('click', async () => {
    try {
      const seed = await unlock();
      if (seed === undefined) return;
      const blob = new Blob([keyFileOf(seed)], { type: 'application/json' });
      seed.fill(0);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = 'approver.key';
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      show(message, 'error', 'Could not unlock the key.', problemOf(error));
    }
  });

  document.querySelector('[data-key-forget]')?.addEventListener('click', () => {
    if (!confirm('Forget the signing key in this browser? Without an exported copy it is gone for good.')) return;
    localStorage.removeItem(storageKey);
    render();
  });
}

// --- approving and rejecting -----------------------------------------------------------------

function approvalForms(): void {
  const status = document.querySelector('[data-sign-status]');
  document.querySelectorAll<HTMLFormElement>('form[data-approval]').forEach((form) => {
    form.addEventListener('submit', async (event: Event) => {
      event.preventDefault();
      const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
      const decision = submitter?.value === 'reject' ? 'reject' : 'approve';
      const data = new FormData(form);
      const reason = String(data.get('reason') ?? '').trim();
      const d = form.dataset;
      if (decision === 'reject' && reason === '') {
        show(status, 'error', 'Say why you reject the change.', {
          code: 'ISOTYP_INVALID_INPUT',
          message: 'A rejection carries its reason, signed with it.',
        });
        return;
      }
      const key = signingKeyOr(status);
      if (key === undefined) return;
      busy(form, true);
      try {
        const seed = await openSeed(key, String(data.get('passphrase') ?? ''));
        const pair = keyPairFromSeed(seed);
        seed.fill(0);
        const validity = Number(data.get('validity') ?? 86_400);
        const envelope = signApproval(
          {
            changeId: d.changeId ?? '',
            targetId: d.targetId ?? '',
            planDigest: d.planDigest ?? '',
            policyVersion: Number(d.policyVersion),
            layer: d.layer ?? '',
            decision,
            expiresAt: new Date(Date.now() + validity * 1000).toISOString(),
            ...(reason === '' ? {} : { reason }),
          } as Parameters<typeof signApproval>[0],
          pair.secretKey,
        );
        pair.secretKey.fill(0);
        const answer = await post(`/console/changes/${encodeURIComponent(d.changeId ?? '')}/approvals`, { envelope });
        if (answer.ok) {
          show(
            status,
            'ok',
            decision === 'approve' ? 'Approved. Updating the review…' : 'Rejected. Updating the review…',
          );
          location.reload();
          return;
        }
        show(status, 'error', 'The control plane refused the signature.', answer.error);
      } catch (error) {
        show(status, 'error', 'Could not sign.', problemOf(error));
      } finally {
        busy(form, false);
      }
    });
  });
}

// --- signing and submitting a plan an agent drafted -----------------------------------------

function draftForms(): void {
  document.querySelectorAll<HTMLFormElement>('form[data-submit-draft]').forEach((form) => {
    form.addEventListener('submit', async (event: Event) => {
      event.preventDefault();
      const status = form.querySelector('[data-submit-status]');
      const key = signingKeyOr(status);
      if (key === undefined) return;
      busy(form, true);
      try {
        const d = form.dataset;
        const draft = JSON.parse(d.draft ?? '{}') as {
          fromDigest: string;
          toDigest: string;
          planDigest: string;
          bump: string;
          title: string;
          manifest: Parameters<typeof changeManifestDigest>[0];
          lint: Parameters<typeof changeManifestDigest>[1];
        };
        const seed = await openSeed(key, String(new FormData(form).get('passphrase') ?? ''));
        const pair = keyPairFromSeed(seed);
        seed.fill(0);
        const submission = sealEnvelope({
          type: CHANGE_SUBMISSION_ENVELOPE_TYPE,
          payload: {
            project: d.project ?? '',
            environment: d.environment ?? '',
            target: d.target ?? '',
            fromDigest: draft.fromDigest,
            toDigest: draft.toDigest,
            planDigest: draft.planDigest,
            manifestDigest: changeManifestDigest(draft.manifest, draft.lint),
            bump: draft.bump,
            title: draft.title,
          },
          secretKey: pair.secretKey,
        });
        pair.secretKey.fill(0);
        const answer = await post(`/console/suggestions/${encodeURIComponent(d.suggestionId ?? '')}/submit`, {
          submission,
          manifest: draft.manifest,
          lint: draft.lint,
        });
        if (answer.ok) {
          location.assign(`/console/changes/${encodeURIComponent((answer.body as { id: string }).id)}`);
          return;
        }
        show(status, 'error', 'The control plane refused the change.', answer.error);
      } catch (error) {
        show(status, 'error', 'Could not sign.', problemOf(error));
      } finally {
        busy(form, false);
      }
    });
  });
}

/** The key kept in this browser, or undefined after saying, in `status`, how to get one. */
function signingKeyOr(status: Element | null): StoredKey | undefined {
  const key = storedKey();
  if (key === undefined) {
    show(status, 'error', 'There is no signing key in this browser.', {
      code: 'ISOTYP_KEY_UNKNOWN',
      message: 'Create or import your key first.',
      hint: 'Open the Signing key page.',
    });
  }
  return key;
}

function busy(form: HTMLFormElement, on: boolean): void {
  form.setAttribute('aria-busy', String(on));
  form.querySelectorAll('button').forEach((button) => {
    button.disabled = on;
  });
}

keyPage();
approvalForms();
draftForms();
