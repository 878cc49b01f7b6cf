/**
 * The console's one stylesheet, served from /console/assets/console.css (no CDN, no web fonts:
 * the system font stack). Colours carry meaning only with a word beside them, and every one
 * passes WCAG AA contrast on its background.
 */
export const CONSOLE_CSS = `
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1b1f24; --muted: #57606a; --line: #d8dee4;
  --brand: #3b3fd8; --brand-ink: #fff; --focus: #0969da;
  --safe: #1a7f37; --safe-bg: #dafbe1; --caution: #7d4e00; --caution-bg: #fff1c2;
  --danger: #b42318; --danger-bg: #ffebe9; --info: #0b5cad; --info-bg: #ddf4ff; --neutral-bg: #eef1f4;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
body { margin: 0; background: var(--bg); color: var(--ink); }
a { color: var(--brand); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px;
}
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .86em; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: -999px; top: 0; background: var(--panel); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: 1rem; }
.shell { display: grid; grid-template-columns: 220px 1fr; min-height: 100vh; }
.side { background: #14161f; color: #e6e8ef; padding: 1.25rem 1rem; display: flex; flex-direction: column; gap: 1.5rem; }
.brand { display: flex; align-items: center; gap: .6rem; font-weight: 700; font-size: 1.1rem; color: #fff; text-decoration: none; }
.brand-mark { width: 28px; height: 28px; border-radius: 8px; background: linear-gradient(135deg, #6b6ff5, #3b3fd8); display: grid; place-items: center; font-size: .9rem; }
.side nav ul { list-style: none; margin: 0; padding: 0; display: grid; gap: .15rem; }
.side nav a { display: block; padding: .45rem .7rem; border-radius: 6px; color: #c9cdd8; text-decoration: none; }
.side nav a:hover { background: #22263a; color: #fff; }
.side nav a[aria-current="page"] { background: #2d3150; color: #fff; font-weight: 600; }
.who { margin-top: auto; font-size: .85rem; color: #a9afc0; display: grid; gap: .4rem; }
.who strong { color: #fff; font-weight: 600; word-break: break-all; }
.who button { background: transparent; color: #c9cdd8; border: 1px solid #3a3f57; }
main { padding: 1.75rem 2.25rem 3rem; max-width: 1180px; }
h1 { font-size: 1.55rem; margin: 0 0 .25rem; letter-spacing: -.01em; }
h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
.lede { color: var(--muted); margin: 0 0 1.5rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 1.1rem 1.25rem; margin-bottom: 1.25rem; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1.25rem; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .55rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .78rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
tbody tr:hover { background: #fafbfc; }
tbody tr:last-child td { border-bottom: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1.25rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
.badge { display: inline-flex; align-items: center; gap: .3rem; padding: .08rem .55rem; border-radius: 999px; font-size: .8rem; font-weight: 600; white-space: nowrap; background: var(--neutral-bg); color: var(--ink); }
.badge::before { content: ""; width: .5rem; height: .5rem; border-radius: 50%; background: currentColor; opacity: .8; }
.tone-safe { background: var(--safe-bg); color: var(--safe); }
.tone-caution { background: var(--caution-bg); color: var(--caution); }
.tone-danger { background: var(--danger-bg); color: var(--danger); }
.tone-info { background: var(--info-bg); color: var(--info); }
.tone-neutral { background: var(--neutral-bg); color: var(--muted); }
.title-row { display: flex; flex-wrap: wrap; align-items: center; gap: .6rem; margin-bottom: .25rem; }
.empty { text-align: center; padding: 2.5rem 1rem; color: var(--muted); }
.empty strong { display: block; color: var(--ink); font-size: 1.05rem; margin-bottom: .35rem; }
.empty code { background: var(--neutral-bg); padding: .1rem .35rem; border-radius: 4px; }
.alert { border-radius: 8px; padding: .75rem 1rem; margin-bottom: 1rem; border: 1px solid; }
.alert-error { background: var(--danger-bg); border-color: #f5c2bd; color: #7a1610; }
.alert-ok { background: var(--safe-bg); border-color: #aceebb; color: #0f5323; }
.alert-info { background: var(--info-bg); border-color: #a9d6fb; color: #0a3f75; }
.alert code { background: rgba(0,0,0,.06); padding: .05rem .3rem; border-radius: 4px; }
form.stack { display: grid; gap: .85rem; max-width: 420px; }
label { display: grid; gap: .3rem; font-weight: 600; font-size: .9rem; }
label .help { font-weight: 400; color: var(--muted); font-size: .82rem; }
input, select, textarea { font: inherit; padding: .5rem .65rem; border: 1px solid #b7c0ca; border-radius: 6px; background: #fff; color: var(--ink); }
textarea { min-height: 4.5rem; resize: vertical; }
button, .button { font: inherit; font-weight: 600; padding: .5rem 1rem; border-radius: 6px; border: 1px solid transparent; cursor: pointer; background: var(--brand); color: var(--brand-ink); text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--ink); border-color: #b7c0ca; }
button.approve { background: var(--safe); }
button.reject { background: var(--danger); }
button[disabled] { opacity: .55; cursor: progress; }
.actions { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; }
.layer { border: 1px solid var(--line); border-radius: 8px; padding: .9rem 1rem; margin-bottom: .75rem; }
.layer-head { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .5rem; align-items: center; }
.layer-head h3 { margin: 0; font-size: 1rem; }
.signers { list-style: none; padding: 0; margin: .6rem 0 0; display: grid; gap: .3rem; font-size: .9rem; }
.sign-form { margin-top: .85rem; padding-top: .85rem; border-top: 1px dashed var(--line); display: grid; gap: .7rem; }
.sign-form .row { display: flex; flex-wrap: wrap; gap: .75rem; }
.sign-form .row label { flex: 1 1 180px; }
pre.ddl { background: #0f1117; color: #e6edf3; padding: 1rem; border-radius: 8px; overflow-x: auto; margin: 0; font-size: .85rem; }
.digest { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .8rem; word-break: break-all; color: #30363d; }
.muted { color: var(--muted); }
.signin { min-height: 100vh; display: grid; place-items: center; padding: 2rem; }
.signin .panel { width: 100%; max-width: 430px; padding: 2rem; }
.signin .brand { color: var(--ink); margin-bottom: 1.25rem; }
.divider { display: flex; align-items: center; gap: .75rem; color: var(--muted); font-size: .85rem; margin: 1.25rem 0; }
.divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid var(--line); }
.spaced { margin-top: 1.5rem; }
.below { margin-bottom: 1rem; }
.button.block { display: block; text-align: center; }
.kv { display: flex; gap: .5rem; flex-wrap: wrap; align-items: baseline; }
@media (max-width: 760px) { .shell { grid-template-columns: 1fr; } .side { flex-direction: row; flex-wrap: wrap; } main { padding: 1.25rem; } }
`;
