// Copy the pinned browser builds from node_modules into server/static/vendor/, and project the
// world map's outlines (world/countries.json).
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
import { createRequire } from "node:module";
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

/**
 * The world map's country outlines (world-atlas, from Natural Earth 1:110m), projected once here with
 * d3-geo's Natural Earth projection into SVG path data: the server draws the map without any script.
 * Output: world/countries.json = {width, height, countries: [{id (ISO 3166-1 numeric), name, d}]}.
 */
async function vendorWorld() {
  const require = createRequire(import.meta.url);
  const { feature } = require("topojson-client");
  const { geoNaturalEarth1, geoPath } = await import("d3-geo");
  const src = packageDir("world-atlas");
  const pkg = readJson(join(src, "package.json"));
  const topology = readJson(join(src, "countries-110m.json"));
  const width = 960;
  const height = 500;
  const countries = feature(topology, topology.objects.countries);
  const projection = geoNaturalEarth1().fitSize([width, height], countries);
  const path = geoPath(projection).digits(1);
  const out = join(vendor, "world");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const shapes = countries.features
    .map((f) => ({ id: String(f.id ?? ""), name: f.properties.name, d: path(f) }))
    .filter((c) => c.d)
    .sort((a, b) => a.name.localeCompare(b.name));
  writeFileSync(join(out, "countries.json"), JSON.stringify({ width, height, countries: shapes }) + "\n");
  const notices = [src, packageDir("topojson-client"), packageDir("d3-geo")].map((dir) => {
    const dep = readJson(join(dir, "package.json"));
    const texts = licenseFiles(dir).map((f) => readFileSync(join(dir, f), "utf8").trim());
    return `=== ${dep.name} ${dep.version} — ${dep.license}\n\n${texts.join("\n\n")}\n`;
  });
  writeFileSync(
    join(out, "LICENSES.txt"),
    "countries.json: country outlines of world-atlas (Natural Earth 1:110m, public domain), projected with d3-geo.\n\n" +
      notices.join("\n"),
  );
  return pkg;
}

const built = [vendorYasgui(), vendorSwaggerUi(), await vendorWorld()];
const manifest = {};
for (const dir of ["yasgui", "swagger-ui", "world"]) {
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
