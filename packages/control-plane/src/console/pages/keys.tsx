/** @jsxImportSource hono/jsx */
import { Badge, DataTable, Empty, Time } from '../layout.js';

export interface RegisteredKey {
  keyId: string;
  userId: string;
  createdAt: string;
  revokedAt?: string;
}

/**
 * The signing key page. The key itself lives only in this browser (encrypted under a passphrase,
 * in localStorage); the console script fills the "in this browser" panel and does every step
 * here — generate, import, export, register, forget — without the private key leaving the page.
 */
export function KeysPage(props: { registered: RegisteredKey[]; keyring: Map<string, string[]> }) {
  return (
    <>
      <h1>Signing key</h1>
      <p class="lede">
        Approvals are Ed25519 signatures made in this browser with your own key. The key is kept here, encrypted under
        your passphrase, and is never sent — the agents verify your signature themselves.
      </p>
      <div class="grid2">
        <section class="panel" aria-labelledby="local-title">
          <h2 id="local-title">In this browser</h2>
          <div data-key-status data-registered={props.registered.map((k) => k.keyId).join(' ')}>
            <p class="muted">Checking for a key…</p>
          </div>
          <div role="status" aria-live="polite" data-key-message />
          <noscript>
            <div class="alert alert-error">Signing needs JavaScript: the key never leaves the browser.</div>
          </noscript>
          <form class="stack" data-key-generate>
            <h3>Create a new key</h3>
            <label>
              Passphrase <span class="help">At least 12 characters. It never leaves this browser.</span>
              <input type="password" name="passphrase" autocomplete="new-password" minlength={12} required />
            </label>
            <label>
              Repeat the passphrase
              <input type="password" name="confirm" autocomplete="new-password" minlength={12} required />
            </label>
            <button type="submit">Create and register</button>
          </form>
          <form class="stack spaced" data-key-import>
            <h3>Import a key file</h3>
            <label>
              Key file{' '}
              <span class="help">The approver.key that isotyp keys generate wrote, or an export from here.</span>
              <input type="file" name="file" accept=".key,.json,application/json" required />
            </label>
            <label>
              Passphrase to keep it under
              <input type="password" name="passphrase" autocomplete="new-password" minlength={12} required />
            </label>
            <button type="submit" class="secondary">
              Import
            </button>
          </form>
          <div class="actions spaced" data-key-actions hidden>
            <button type="button" class="secondary" data-key-register>
              Register with the control plane
            </button>
            <button type="button" class="secondary" data-key-export>
              Export key file
            </button>
            <button type="button" class="secondary" data-key-forget>
              Forget in this browser
            </button>
          </div>
        </section>
        <section class="panel" aria-labelledby="registered-title">
          <h2 id="registered-title">Registered for you</h2>
          {props.registered.length === 0 ? (
            <Empty title="No key registered yet.">
              <p>
                Create or import one here, or run <code>isotyp keys generate</code>.
              </p>
            </Empty>
          ) : (
            <DataTable headers={['Key', 'In the keyring', 'Registered']}>
              {props.registered.map((key) => (
                <tr>
                  <td class="mono">{key.keyId}</td>
                  <td>
                    {key.revokedAt !== undefined ? (
                      <Badge tone="danger">revoked</Badge>
                    ) : props.keyring.has(key.keyId) ? (
                      <Badge tone="safe">{`yes — ${(props.keyring.get(key.keyId) ?? []).join(', ')}`}</Badge>
                    ) : (
                      <Badge tone="caution">not yet</Badge>
                    )}
                  </td>
                  <td>
                    <Time at={key.createdAt} />
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
          <p class="muted">
            A registered key signs nothing that counts until an admin adds it to the keyring with{' '}
            <code>isotyp org sign-keyring</code> (the org root key stays on the admin's machine).
          </p>
        </section>
      </div>
    </>
  );
}
