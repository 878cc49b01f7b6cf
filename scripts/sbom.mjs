#!/usr/bin/env node
// Writes a CycloneDX 1.6 SBOM (JSON) of the workspace to .artifacts/sbom.cdx.json.
//
// Source of truth is the installed dependency graph, as `pnpm list -r --json --depth Infinity`
// reports it for every workspace project. Each package becomes one component (keyed by
// name@version) with a purl, its licence and links from its package.json, and the integrity
// hash from pnpm-lock.yaml; every edge of the graph becomes a CycloneDX dependency.
//
// Packages only development tooling needs (reachable from no workspace package's production
// dependencies) get scope "excluded" and the property cdx:npm:package:development=true, so
// consumers can tell what ships from what only builds and tests it.
//
// Usage: node scripts/sbom.mjs   (exit 0 written and checked; 1 the check failed; 2 no graph)
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import parseSpdx from 'spdx-expression-parse';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const OUTPUT = `${ROOT}/.artifacts/sbom.cdx.json`;
const SPEC = CDX.Spec.Spec1dot6;

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** `pnpm list` for every workspace project, dependencies to any depth. */
function listProjects() {
  const result = spawnSync('pnpm', ['list', '-r', '--json', '--depth', 'Infinity'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`pnpm list failed (exit ${result.status}):\n${result.stderr || result.stdout}`);
  }
  return JSON.parse(result.stdout);
}

/** name@version -> "sha512-<base64>" from the `packages:` section of pnpm-lock.yaml. */
function lockfileIntegrity() {
  const integrity = new Map();
  // Entries look like:   '@scope/name@1.2.3':\n    resolution: {integrity: sha512-...}
  const entry = /^ {2}'?((?:@[^@\s/']+\/)?[^@\s']+)@([^\s'(:]+)'?:\n {4}resolution: \{integrity: ([^,}\s]+)/gm;
  for (const [, name, version, hash] of readFileSync(`${ROOT}/pnpm-lock.yaml`, 'utf8').matchAll(entry)) {
    integrity.set(`${name}@${version}`, hash);
  }
  return integrity;
}

/**
 * The dependency graph as a Map of key -> node. Keys are name@version for registry packages
 * and workspace:<name> for workspace projects. A node is
 * { key, name, version, path, workspace, deps: Set<key>, prodDeps: Set<key> }.
 */
function buildGraph(projects) {
  const nodes = new Map();
  const workspaceByPath = new Map(projects.map((p) => [p.path, `workspace:${p.name}`]));

  const nodeFor = (key, fields) => {
    if (!nodes.has(key)) nodes.set(key, { key, ...fields, deps: new Set(), prodDeps: new Set() });
    return nodes.get(key);
  };

  // pnpm prints each package's subtree once and marks later occurrences "deduped" (no
  // children), so walking every occurrence and uniting the edges recovers the whole graph.
  // `parent` is null where an occurrence only helps discovery and its edges are recorded
  // elsewhere (see the workspace case below).
  const walk = (parent, deps, production) => {
    for (const [alias, dep] of Object.entries(deps ?? {})) {
      if (String(dep.version).startsWith('link:')) {
        // A workspace project. Its own edges come from its own entry in `projects`, where
        // production and development dependencies are told apart; pnpm also expands it here
        // (with the two merged), and that may be the only place some subtrees are printed.
        const key = workspaceByPath.get(dep.path);
        if (!key) continue;
        parent?.deps.add(key);
        if (production) parent?.prodDeps.add(key);
        walk(null, dep.dependencies, true);
        continue;
      }
      // Optional packages for other platforms are listed but not installed: not part of this
      // installation's graph.
      if (!dep.path || !existsSync(dep.path)) continue;
      const name = dep.from ?? alias;
      const child = nodeFor(`${name}@${dep.version}`, {
        name,
        version: dep.version,
        path: dep.path,
        workspace: false,
      });
      parent?.deps.add(child.key);
      if (production) parent?.prodDeps.add(child.key);
      // Below the first level everything a package needs to run is production for it.
      walk(child, dep.dependencies, true);
      walk(child, dep.optionalDependencies, true);
    }
  };

  for (const project of projects) {
    const node = nodeFor(`workspace:${project.name}`, {
      name: project.name,
      version: project.version,
      path: project.path,
      workspace: true,
      root: project.path === ROOT,
    });
    walk(node, project.dependencies, true);
    walk(node, project.optionalDependencies, true);
    walk(node, project.devDependencies, false);
    // `unsavedDependencies` (packages present in node_modules but not declared) are left out:
    // here they are the root's devDependencies seen through hoisting.
  }
  return nodes;
}

/** Keys reachable from the workspace packages through production edges only. */
function productionClosure(nodes) {
  const seen = new Set();
  const queue = [...nodes.values()].filter((n) => n.workspace && !n.root).map((n) => n.key);
  while (queue.length > 0) {
    const key = queue.pop();
    if (seen.has(key)) continue;
    seen.add(key);
    for (const dep of nodes.get(key)?.prodDeps ?? []) queue.push(dep);
  }
  return seen;
}

/**
 * The licence string of a package.json, including the deprecated forms the builder does not
 * read: "license": { "type": "MIT" } and "licenses": [{ "type": "MIT" }, ...] (alternatives).
 */
function legacyLicence(packageJson) {
  const { license, licenses } = packageJson;
  if (typeof license === 'string') return license;
  if (license && typeof license.type === 'string') return license.type;
  if (Array.isArray(licenses)) {
    const types = licenses.map((l) => (typeof l === 'string' ? l : l?.type)).filter(Boolean);
    if (types.length > 0) return types.length === 1 ? types[0] : `(${types.join(' OR ')})`;
  }
  return undefined;
}

function purlOf(name, version) {
  const [namespace, bare] = name.startsWith('@') ? name.split('/') : [undefined, name];
  return new PackageURL('npm', namespace, bare, version, undefined, undefined).toString();
}

function makeBom(nodes) {
  const builder = new CDX.Contrib.FromNodePackageJson.Builders.ComponentBuilder(
    new CDX.Contrib.FromNodePackageJson.Factories.ExternalReferenceFactory(),
    new CDX.Contrib.License.Factories.LicenseFactory(parseSpdx),
  );
  const integrity = lockfileIntegrity();
  const production = productionClosure(nodes);

  const bom = new CDX.Models.Bom();
  bom.serialNumber = `urn:uuid:${randomUUID()}`;
  // SOURCE_DATE_EPOCH (reproducible builds) pins the timestamp when set.
  const epoch = process.env.SOURCE_DATE_EPOCH;
  bom.metadata.timestamp = epoch ? new Date(Number(epoch) * 1000) : new Date();
  const library = readJson(fileURLToPath(import.meta.resolve('@cyclonedx/cyclonedx-library/package.json')));
  bom.metadata.tools.components.add(
    new CDX.Models.Component(CDX.Enums.ComponentType.Library, 'cyclonedx-library', {
      group: '@cyclonedx',
      version: library.version,
    }),
  );

  const components = new Map();
  for (const node of nodes.values()) {
    let packageJson = {};
    try {
      packageJson = readJson(`${node.path}/package.json`);
    } catch {
      // Keep the component even when its manifest is unreadable; name and version suffice.
    }
    packageJson = {
      ...packageJson,
      name: node.name,
      version: node.version ?? packageJson.version,
      license: legacyLicence(packageJson),
    };

    if (node.root) {
      // The repository itself is the subject of the SBOM, not one of its components.
      const subject = builder.makeComponent(packageJson, CDX.Enums.ComponentType.Application);
      subject.bomRef.value = 'isotyp';
      bom.metadata.component = subject;
      components.set(node.key, subject);
      continue;
    }

    const type = node.workspace && packageJson.bin ? CDX.Enums.ComponentType.Application : undefined;
    const component =
      builder.makeComponent(packageJson, type) ??
      new CDX.Models.Component(CDX.Enums.ComponentType.Library, node.name, { version: node.version });
    if (node.version) {
      component.purl = purlOf(node.name, node.version);
      component.bomRef.value = component.purl;
    } else {
      component.bomRef.value = node.key;
    }
    const hash = integrity.get(node.key)?.match(/^sha(256|384|512)-(.+)$/);
    if (hash) {
      component.hashes.set(`SHA-${hash[1]}`, Buffer.from(hash[2], 'base64').toString('hex'));
    }
    if (node.workspace) {
      component.properties.add(new CDX.Models.Property('isotyp:workspace-path', relative(ROOT, node.path)));
    } else if (!production.has(node.key)) {
      component.scope = CDX.Enums.ComponentScope.Excluded;
      component.properties.add(new CDX.Models.Property('cdx:npm:package:development', 'true'));
    } else {
      component.scope = CDX.Enums.ComponentScope.Required;
    }
    bom.components.add(component);
    components.set(node.key, component);
  }

  for (const node of nodes.values()) {
    const component = components.get(node.key);
    for (const dep of node.deps) {
      const target = components.get(dep);
      if (target && target !== component) component.dependencies.add(target.bomRef);
    }
  }
  return { bom, production };
}

/** Structural checks on the written JSON; returns a list of problems (empty when fine). */
function checkOutput(json, expectedComponents) {
  const problems = [];
  const doc = JSON.parse(json);
  if (doc.bomFormat !== 'CycloneDX') problems.push(`bomFormat is ${doc.bomFormat}`);
  if (doc.specVersion !== SPEC.version) problems.push(`specVersion is ${doc.specVersion}`);
  const components = doc.components ?? [];
  if (components.length !== expectedComponents) {
    problems.push(`${components.length} components written, ${expectedComponents} expected`);
  }
  const refs = new Set([doc.metadata?.component?.['bom-ref']]);
  for (const c of components) {
    if (refs.has(c['bom-ref'])) problems.push(`duplicate bom-ref ${c['bom-ref']}`);
    refs.add(c['bom-ref']);
    if (!c.purl && !c.properties?.some((p) => p.name === 'isotyp:workspace-path')) {
      problems.push(`no purl: ${c.name}`);
    }
  }
  for (const d of doc.dependencies ?? []) {
    for (const ref of [d.ref, ...(d.dependsOn ?? [])]) {
      if (!refs.has(ref)) problems.push(`dependency refers to unknown bom-ref ${ref}`);
    }
  }
  return problems;
}

async function main() {
  let projects;
  try {
    projects = listProjects();
  } catch (error) {
    console.error(`sbom: could not read the dependency graph: ${error.message}`);
    return 2;
  }
  const nodes = buildGraph(projects);
  const { bom, production } = makeBom(nodes);

  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(SPEC));
  // sortLists makes the output stable between runs, so SBOMs can be diffed.
  const json = serializer.serialize(bom, { sortLists: true, space: 2 });
  mkdirSync(`${ROOT}/.artifacts`, { recursive: true });
  writeFileSync(OUTPUT, `${json}\n`);

  // Every graph node but the repository itself (the SBOM's subject) must be a component.
  const expected = [...nodes.values()].filter((n) => !n.root).length;
  const problems = checkOutput(json, expected);
  // Full JSON-schema validation needs the library's optional peer ajv; use it when present.
  try {
    const error = await new CDX.Validation.JsonStrictValidator(SPEC.version).validate(json);
    if (error !== null) problems.push(`schema validation: ${JSON.stringify(error).slice(0, 2000)}`);
    else console.log('sbom: valid against the CycloneDX 1.6 JSON schema');
  } catch (error) {
    if (!(error instanceof CDX.Validation.MissingOptionalDependencyError)) throw error;
    console.log('sbom: JSON-schema validation skipped (optional ajv not installed); structural checks only');
  }

  const thirdParty = [...nodes.values()].filter((n) => !n.workspace);
  const runtime = thirdParty.filter((n) => production.has(n.key)).length;
  const path = relative(process.cwd(), OUTPUT) || OUTPUT;
  console.log(
    `sbom: ${bom.components.size} components (${bom.components.size - thirdParty.length} workspace, ` +
      `${runtime} runtime, ${thirdParty.length - runtime} development-only), CycloneDX ${SPEC.version}, ` +
      `written to ${path}`,
  );
  if (problems.length > 0) {
    console.error(`sbom check FAILED:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
