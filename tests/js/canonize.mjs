// Canonize JSON-LD documents from a running server with jsonld.js in safe mode and print them.
//
//   node canonize.mjs CONTEXT_FILE CONTEXT_URLS URL...
//
// Safe mode makes jsonld.js fail on anything it would otherwise drop silently (a term mapped
// to null, a relative IRI, an invalid value). CONTEXT_URLS (comma-separated) all mean the
// published context, answered from CONTEXT_FILE; any other URL throws, so nothing remote is
// fetched. Prints {"<url>": "<canonical N-Quads (RDFC-1.0)>", ...} as JSON.
import { readFile } from "node:fs/promises";
import jsonld from "jsonld";

const [contextFile, contextUrls, ...urls] = process.argv.slice(2);
const context = JSON.parse(await readFile(contextFile, "utf8"));
const known = new Set(contextUrls.split(","));

const documentLoader = async (url) => {
  if (!known.has(url)) {
    throw new Error(`remote document refused: ${url}`);
  }
  return { contextUrl: null, documentUrl: url, document: structuredClone(context) };
};

const out = {};
for (const url of urls) {
  const response = await fetch(url, { headers: { Accept: "application/ld+json" } });
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  const document = await response.json();
  try {
    out[url] = await jsonld.canonize(document, {
      algorithm: "RDFC-1.0",
      format: "application/n-quads",
      safe: true,
      documentLoader,
    });
  } catch (error) {
    throw new Error(`${url}: ${error.message} ${JSON.stringify(error.details ?? {})}`);
  }
}
process.stdout.write(JSON.stringify(out));
