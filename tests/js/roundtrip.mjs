// Expand JSON-LD documents from a running server with jsonld.js and print their RDF.
//
//   node roundtrip.mjs CONTEXT_FILE CONTEXT_URLS URL...
//
// CONTEXT_URLS is a comma-separated list of URLs that all mean the published context;
// the document loader answers them from CONTEXT_FILE and throws on any other URL, so
// no remote document is ever fetched. Prints {"<url>": "<N-Quads>", ...} as JSON.
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
  out[url] = await jsonld.toRDF(document, { format: "application/n-quads", documentLoader, base: null });
}
process.stdout.write(JSON.stringify(out));
