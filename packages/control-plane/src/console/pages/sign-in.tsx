/** @jsxImportSource hono/jsx */
import type { ApiError } from '../api.js';
import { type AssetUrls, BarePage, ErrorNotice } from '../layout.js';

/** Sign-in with a password, and through the organisation's OpenID provider when one is set up. */
export function SignInPage(props: {
  assets: AssetUrls;
  returnTo: string;
  oidc: boolean;
  error?: ApiError | undefined;
  org?: string | undefined;
  email?: string | undefined;
  notice?: string | undefined;
}) {
  return (
    <BarePage title="Sign in" assets={props.assets}>
      <h1>Sign in</h1>
      <p class="lede">Review and sign schema changes for your organisation.</p>
      {props.notice === undefined ? null : (
        <div class="alert alert-info" role="status">
          {props.notice}
        </div>
      )}
      {props.error === undefined ? null : <ErrorNotice error={props.error} title="Could not sign you in." />}
      {props.oidc ? (
        <>
          <a class="button block" href={`/v1/auth/oidc/start?return_to=${encodeURIComponent(props.returnTo)}`}>
            Continue with single sign-on
          </a>
          <div class="divider">or with a password</div>
        </>
      ) : null}
      <form class="stack" method="post" action="/console/sign-in">
        <input type="hidden" name="return_to" value={props.returnTo} />
        <label>
          Organisation
          <input name="org" autocomplete="organization" required value={props.org ?? ''} />
        </label>
        <label>
          Email
          <input name="email" type="email" autocomplete="username" required value={props.email ?? ''} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </BarePage>
  );
}
