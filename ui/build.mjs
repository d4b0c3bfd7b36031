// Copy the pinned browser builds from node_modules into server/static/vendor/.
//
//   cd ui && npm ci && npm run vendor
//
// The output is committed, so `make serve` needs only Python; rerun this after
// changing a version in package.json and commit the result. Source maps are left
// out (and their sourceMappingURL comments removed) so that no page asks the
// server for a file it does not have.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const vendor = resolve(here, "..", "server", "static", "vendor");

/** The directory of an installed package, resolved as Node does: nested under `parent` first, then hoisted. */
function packageDir(name, parent = modules) {
  for (let dir = parent; dir.startsWith(modules); dir = dirname(dir)) {
    const nested = join(dir, "node_modules", name);
    if (existsSync(join(nested, "package.json"))) return nested;
  }
  const hoisted = join(modules, name);
  if (existsSync(join(hoisted, "package.json"))) return hoisted;
  throw new Error(`${name} is not installed: run npm ci in ui/`);
}

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const licenseFiles = (dir) => readdirSync(dir).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f)).sort();

/** Copy a text asset, dropping the trailing sourceMappingURL comment. */
function copyText(src, dest) {
  const text = readFileSync(src, "utf8").replace(/\n?\/[/*][#@] sourceMappingURL=[^\n]*\s*$/, "\n");
  writeFileSync(dest, text);
}

/** Every package `root` depends on, transitively, with its license notice (they are all bundled in its build). */
function dependencyTree(root) {
  const seen = new Map();
  const visit = (dir) => {
    const pkg = readJson(join(dir, "package.json"));
    const key = `${pkg.name}@${pkg.version}`;
    if (seen.has(key)) return;
    seen.set(key, { pkg, dir });
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(packageDir(dep, dir));
  };
  visit(root);
  return [...seen.values()].sort((a, b) => a.pkg.name.localeCompare(b.pkg.name));
}

function vendorYasgui() {
  const src = packageDir("@zazuko/yasgui");
  const pkg = readJson(join(src, "package.json"));
  const out = join(vendor, "yasgui");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  copyText(join(src, "build", "yasgui.min.js"), join(out, "yasgui.min.js"));
  copyText(join(src, "build", "yasgui.min.css"), join(out, "yasgui.min.css"));

  // The npm package declares MIT but ships no LICENSE file, so state that and give the MIT text.
  const mit = readFileSync(join(here, "MIT.txt"), "utf8").replace("{holder}", `${pkg.author} and contributors`);
  writeFileSync(
    join(out, "LICENSE"),
    `${pkg.name} ${pkg.version} (${pkg.homepage}) is published under the "${pkg.license}" license ` +
      `(package.json; author ${pkg.author}, contributors ${pkg.contributors.map((c) => c.name).join(", ")}).\n` +
      `Its npm package ships no license file; the MIT License reads:\n\n${mit}`,
  );

  const notices = dependencyTree(src).map(({ pkg: dep, dir }) => {
    const texts = licenseFiles(dir).map((f) => readFileSync(join(dir, f), "utf8").trim());
    const body = texts.length ? texts.join("\n\n") : `(no license file in the package; package.json: ${dep.license})`;
    return `=== ${dep.name} ${dep.version} — ${dep.license ?? "see below"}\n\n${body}\n`;
  });
  writeFileSync(
    join(out, "THIRD_PARTY_LICENSES.txt"),
    `Packages bundled in yasgui.min.js / yasgui.min.css (the dependency tree of ${pkg.name} ${pkg.version}).\n\n` +
      notices.join("\n"),
  );
  return pkg;
}

function vendorSwaggerUi() {
  const src = packageDir("swagger-ui-dist");
  const pkg = readJson(join(src, "package.json"));
  const out = join(vendor, "swagger-ui");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  copyText(join(src, "swagger-ui-bundle.js"), join(out, "swagger-ui-bundle.js"));
  copyText(join(src, "swagger-ui.css"), join(out, "swagger-ui.css"));
  writeFileSync(join(out, "favicon-32x32.png"), readFileSync(join(src, "favicon-32x32.png")));
  for (const f of [...licenseFiles(src), "swagger-ui-bundle.js.LICENSE.txt"]) {
    writeFileSync(join(out, f), readFileSync(join(src, f)));
  }
  return pkg;
}

const built = [vendorYasgui(), vendorSwaggerUi()];
const manifest = {};
for (const dir of ["yasgui", "swagger-ui"]) {
  for (const f of readdirSync(join(vendor, dir)).sort()) {
    manifest[`${dir}/${f}`] = createHash("sha256").update(readFileSync(join(vendor, dir, f))).digest("hex");
  }
}
writeFileSync(
  join(vendor, "VERSIONS.json"),
  JSON.stringify({ packages: Object.fromEntries(built.map((p) => [p.name, p.version])), sha256: manifest }, null, 2) +
    "\n",
);
console.log(`vendored ${built.map((p) => `${p.name}@${p.version}`).join(", ")} into ${vendor}`);
