// The ILRS query UI: YASGUI pointed at this server's /sparql, with the competency
// queries as one-click examples, local links for the graph's own IRIs, and downloads.
// Nothing here (nor in the YASGUI configuration) contacts any other host: every tab
// queries this server whatever a link or the browser's storage says, and the page's
// Content-Security-Policy (connect-src 'self') backs that up.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("ilrs-config").textContent);
  // Relative to the page, so the UI also works when the site lives below a path prefix.
  const endpoint = new URL(config.endpoint, document.baseURI).href;
  const EXAMPLE_TAB = "ilrs-example";
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  // What YASGUI keeps in localStorage is only trusted from this version of the page on: earlier
  // versions stored tabs with any endpoint and result tables rendered as HTML. Bump to discard.
  const STORAGE_VERSION_KEY = "ilrs-query-ui-storage";
  const STORAGE_VERSION = "2";

  // --- Only this server -------------------------------------------------------------

  /** Forget what an earlier version of the page stored (tabs, endpoints, result tables). */
  function discardOldStorage() {
    try {
      if (localStorage.getItem(STORAGE_VERSION_KEY) === STORAGE_VERSION) return;
      localStorage.clear(); // this origin's storage is the query UI's alone
      localStorage.setItem(STORAGE_VERSION_KEY, STORAGE_VERSION);
    } catch (err) {
      // Storage disabled: YASGUI then keeps nothing either.
    }
  }

  /** Every tab's requests go to this server's endpoint, whatever its stored configuration holds. */
  function pinEndpoint() {
    const Tab = Yasgui.Tab;
    const requestConfig = Tab.prototype.getRequestConfig;
    Tab.prototype.getRequestConfig = function () {
      return Object.assign({}, requestConfig.call(this), { endpoint: endpoint });
    };
    Tab.prototype.getEndpoint = function () {
      return endpoint;
    };
  }

  /** The query of a shared link (`#query=…`), and nothing else from it: not its endpoint, not its method. */
  function queryFromLink() {
    const query = new URLSearchParams(window.location.hash.slice(1)).get("query");
    if (query !== null) history.replaceState(null, "", window.location.pathname + window.location.search);
    return query;
  }

  // --- Results as text ----------------------------------------------------------------

  const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
  }

  /**
   * The results table writes cells as HTML. YASR's own cell writers put a literal's datatype and
   * language, and an IRI's text, into that HTML unescaped (its sanitiser only removes scripts, so a
   * result could inject a form or styles): these replace them, escaping every value from the result,
   * and making only http(s) IRIs links.
   */
  function renderCellsAsText() {
    const Table = Yasgui.Yasr.plugins.table;
    Table.prototype.getUriLinkFromBinding = function (binding, prefixes) {
      const iri = String(binding.value);
      let shown = iri;
      let prefixed = false;
      for (const [prefix, namespace] of Object.entries(prefixes || {})) {
        if (namespace && iri.startsWith(namespace)) {
          shown = `${prefix}:${iri.slice(namespace.length)}`;
          prefixed = true;
          break;
        }
      }
      const text = escapeHtml(shown);
      const newWindow = this.config.openIriInNewWindow;
      const link = /^https?:/i.test(iri)
        ? `<a class="iri" href="${escapeHtml(iri)}"${newWindow ? ' target="_blank" rel="noopener noreferrer"' : ""}>${text}</a>`
        : `<span class="iri">${text}</span>`;
      return prefixed || this.persistentConfig.compact ? link : `&lt;${link}&gt;`;
    };
    // For searching and sorting, YASR passes each value through its HTML sanitiser, which parses it as
    // HTML (a <style> in a value then even trips the Content-Security-Policy): the value is data, use it so.
    const getColumns = Table.prototype.getColumns;
    Table.prototype.getColumns = function () {
      return getColumns.call(this).map((column) => {
        if (typeof column.render !== "function") return column;
        const render = column.render;
        return Object.assign({}, column, {
          render: (data, type, row, meta) =>
            data && typeof data === "object" && (type === "filter" || type === "sort" || !type)
              ? String(data.value)
              : render(data, type, row, meta),
        });
      });
    };
    Table.prototype.formatLiteral = function (binding, prefixes) {
      const text = escapeHtml(binding.value);
      if (this.persistentConfig.compact) return text;
      if (binding["xml:lang"]) return `"${text}"<sup>@${escapeHtml(binding["xml:lang"])}</sup>`;
      // A number, year or date of XML Schema reads plainly; its type shows on hover.
      if (binding.datatype && binding.datatype.startsWith(XSD)) {
        return `<span title="xsd:${escapeHtml(binding.datatype.slice(XSD.length))}">${text}</span>`;
      }
      if (binding.datatype) {
        return `"${text}"<sup>^^${this.getUriLinkFromBinding({ type: "uri", value: binding.datatype }, prefixes)}</sup>`;
      }
      return text;
    };
  }

  // --- Columns of SELECT * in query order ---------------------------------------------

  // Strings, IRIs and comments are skipped; a variable is `?name` or `$name`; `SELECT *` (with DISTINCT
  // or REDUCED) is noted where it stands. Enough of SPARQL's grammar to find where each variable first appears.
  const TOKENS = /"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\s]*>|#[^\n]*|[?$]([\p{L}\p{N}_\u00B7]+)|\b(SELECT)\b(\s+(?:DISTINCT|REDUCED))?(\s*\*)?/giu;

  /** The variables of a `SELECT *` query in the order they first appear in it; null for any other query. */
  function queryOrder(query) {
    const order = [];
    let selects = 0;
    for (const match of String(query || "").matchAll(TOKENS)) {
      if (match[2]) {
        if (selects++ === 0 && !match[4]) return null; // the outermost SELECT names its columns itself
      } else if (match[1] && selects && !order.includes(match[1])) {
        order.push(match[1]);
      }
    }
    return selects ? order : null;
  }

  let initializingTab = null; // the tab whose results table is being built (restored results draw at once)

  /**
   * The endpoint answers `SELECT *` with its variables in alphabetical order; the table shows them in
   * the order the query mentions them (as the query's author reads it). Other queries keep their own order.
   */
  function orderSelectStarColumns() {
    const initYasr = Yasgui.Tab.prototype.initYasr;
    Yasgui.Tab.prototype.initYasr = function () {
      initializingTab = this;
      try {
        return initYasr.apply(this, arguments);
      } finally {
        initializingTab = null;
        if (this.yasr) this.yasr.ilrsTab = this;
      }
    };
    const draw = Yasgui.Yasr.prototype.draw;
    Yasgui.Yasr.prototype.draw = function () {
      const tab = this.ilrsTab || initializingTab;
      const results = this.results;
      if (tab && results && !Object.prototype.hasOwnProperty.call(results, "getVariables")) {
        const query = tab.yasqe ? tab.yasqe.getValue() : tab.persistentJson.yasqe.value;
        const order = queryOrder(query);
        const getVariables = Object.getPrototypeOf(results).getVariables;
        results.getVariables = function () {
          const vars = getVariables.call(this);
          if (!order) return vars;
          const rank = (v) => (order.includes(v) ? order.indexOf(v) : order.length + vars.indexOf(v));
          return [...vars].sort((a, b) => rank(a) - rank(b));
        };
      }
      return draw.apply(this, arguments);
    };
  }

  // --- YASGUI configuration ---------------------------------------------------------

  /** Completions for `PREFIX`: only the project's own prefixes (the stock list is generic). */
  function configureAutocompletion() {
    const Yasqe = Yasgui.Yasqe;
    const known = Object.entries(config.prefixes).map(([p, iri]) => `${p}: <${iri}>`).sort();
    Yasqe.forkAutocompleter("prefixes", { name: "ilrs-prefixes", persistenceId: null, get: () => Promise.resolve(known) }, false);
    // The stock "property" and "class" completers query lov.linkeddata.es: leave them out.
    Yasgui.defaults.yasqe.autocompleters = ["variables", "ilrs-prefixes"];
    // Bundled prefixes only, never prefix.cc (null is the default; stated so it stays that way).
    Yasgui.defaults.yasqe.prefixCcApi = null;
  }

  function createYasgui() {
    discardOldStorage();
    pinEndpoint();
    renderCellsAsText();
    orderSelectStarColumns();
    configureAutocompletion();
    const shared = queryFromLink();
    const yasgui = new Yasgui(document.getElementById("yasgui"), {
      persistenceId: "ilrs-query-ui",
      autofocus: false,
      copyEndpointOnNewTab: false,
      // YASGUI would take a tab's endpoint, request method and query from the link and run it at once.
      populateFromUrl: false,
      requestConfig: { endpoint: endpoint, method: "POST" },
      endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
      // The prefix block is folded to one line, so the query itself is seen without scrolling.
      yasqe: { value: config.defaultQuery, editorHeight: "22rem", collapsePrefixesOnLoad: true },
      yasr: { prefixes: config.prefixes },
    });
    // Tabs restored from an earlier visit keep the endpoint they were saved with: store this one.
    for (const id of yasgui.persistentConfig.getTabs()) {
      const tab = yasgui.getTab(id);
      if (tab && tab.persistentJson.requestConfig.endpoint !== endpoint) tab.setEndpoint(endpoint);
    }
    // A shared link's query opens in the editor; the visitor decides whether to run it.
    if (shared !== null) yasgui.addTab(true, { name: "Shared query", yasqe: { value: shared } });
    else runDefaultQuery(yasgui);
    return yasgui;
  }

  /** The default query answers at once, so a first visit shows a table: only when it is the open tab's. */
  function runDefaultQuery(yasgui) {
    const tab = yasgui.getTab();
    if (!tab || tab.getQuery().trim() !== config.defaultQuery.trim()) return;
    tab.query().catch(() => {}); // YASR shows the error itself.
  }

  // --- Local links for the graph's IRIs -----------------------------------------------

  /** This server's URL for an IRI under the graph's base, or null for any other IRI. */
  function localUrl(iri) {
    if (!iri || !iri.startsWith(config.base)) return null;
    return new URL(iri.slice(config.base.length), document.baseURI).href;
  }

  /** Point result links for the graph's own IRIs at this server; the IRI stays visible as the title. */
  function rewriteLinks(root) {
    for (const a of root.querySelectorAll("a.iri[href]")) {
      const iri = a.dataset.iri || a.getAttribute("href");
      const local = localUrl(iri);
      if (!local || a.getAttribute("href") === local) continue;
      a.dataset.iri = iri;
      a.title = iri;
      a.href = local;
      a.classList.add("local-iri");
    }
    showLabels(root);
  }

  // --- Labels beside IRIs (as a label service would add them) ---------------------------

  const labels = new Map(); // IRI -> English label, or "" when it has none
  const LABEL_BATCH = 200;

  /** Ask this server's endpoint for the English labels of IRIs not yet known. */
  async function fetchLabels(iris) {
    const values = iris.map((iri) => `<${iri}>`).join(" ");
    const query =
      "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" +
      `SELECT ?x (SAMPLE(?l) AS ?label) WHERE { VALUES ?x { ${values} } ?x rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en")) } GROUP BY ?x`;
    for (const iri of iris) labels.set(iri, "");
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
        body: query,
      });
      if (!response.ok) return;
      const body = await response.json();
      for (const row of body.results.bindings) labels.set(row.x.value, row.label.value);
    } catch (err) {
      // no labels: the IRIs are still shown
    }
  }

  /** Write each local IRI's label beside its link in the results. */
  async function showLabels(root) {
    const links = Array.from(root.querySelectorAll("a.local-iri:not([data-labelled])"));
    if (!links.length) return;
    const unknown = [...new Set(links.map((a) => a.dataset.iri))].filter((iri) => !labels.has(iri) && !/[<>"{}|\\^`\s]/.test(iri));
    for (let i = 0; i < unknown.length; i += LABEL_BATCH) await fetchLabels(unknown.slice(i, i + LABEL_BATCH));
    for (const a of links) {
      if (a.dataset.labelled) continue;
      a.dataset.labelled = "1";
      const label = labels.get(a.dataset.iri);
      if (!label) continue;
      const span = document.createElement("span");
      span.className = "iri-label";
      span.textContent = label;
      a.after(" ", span);
    }
  }

  // --- A syntax error's place in the editor ----------------------------------------------

  const ERROR_AT = /error at (\d+):(\d+)/;
  let marked = null; // { yasqe, line } of the line marked now

  /** When the endpoint answers "error at LINE:COL", mark that line of the query until it is edited. */
  function markSyntaxError(container) {
    const shown = container.querySelector(".yasr .errorResult:not([data-marked])");
    const found = shown && ERROR_AT.exec(shown.textContent);
    if (shown && shown.textContent.trim()) shown.dataset.marked = "1"; // marked once: an edit unmarks it for good
    const yasqe = window.ilrsYasgui && window.ilrsYasgui.getTab() && window.ilrsYasgui.getTab().getYasqe();
    if (!found || !yasqe) return;
    const line = Math.min(Number(found[1]) - 1, yasqe.lineCount() - 1);
    clearSyntaxError();
    yasqe.addLineClass(line, "wrap", "ilrs-syntax-error");
    marked = { yasqe: yasqe, line: line };
    yasqe.on("change", clearSyntaxError);
  }

  function clearSyntaxError() {
    if (!marked) return;
    marked.yasqe.removeLineClass(marked.line, "wrap", "ilrs-syntax-error");
    marked.yasqe.off("change", clearSyntaxError);
    marked = null;
  }

  function watchResults(container) {
    rewriteLinks(container);
    // The results table is redrawn on every query, page change and sort: rewrite after each.
    new MutationObserver(() => {
      rewriteLinks(container);
      markSyntaxError(container);
    }).observe(container, { childList: true, subtree: true });
  }

  // --- Examples ---------------------------------------------------------------------

  function openExample(yasgui, example) {
    let tab = yasgui.getTab(EXAMPLE_TAB);
    if (!tab) {
      tab = yasgui.addTab(true, { id: EXAMPLE_TAB, name: "Example", requestConfig: { endpoint: endpoint } });
    }
    yasgui.selectTabId(EXAMPLE_TAB);
    tab = yasgui.getTab(EXAMPLE_TAB);
    tab.setName(example.title.length > 40 ? example.title.slice(0, 39) + "…" : example.title);
    tab.setQuery(example.query);
    tab.query().catch(() => {}); // YASR shows the error itself.
    document.getElementById("yasgui").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  async function wireExamples(yasgui) {
    const links = document.querySelectorAll("a.example[data-example]");
    if (!links.length) return;
    let examples = {};
    try {
      const response = await fetch(new URL(config.examples, document.baseURI), { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.statusText);
      for (const example of await response.json()) examples[example.id] = example;
    } catch (err) {
      setStatus(`Could not load the examples: ${err.message}`);
      return; // The links still lead to the plain .rq files.
    }
    for (const link of links) {
      link.addEventListener("click", (event) => {
        const example = examples[link.dataset.example];
        if (!example || event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        for (const other of links) other.removeAttribute("aria-current");
        link.setAttribute("aria-current", "true");
        openExample(yasgui, example);
      });
    }
  }

  // --- Downloads --------------------------------------------------------------------

  function setStatus(text) {
    document.querySelector(".downloads .status").textContent = text;
  }

  /** Offer the formats the current query's answer has: result tables (SELECT), booleans (ASK) or graphs. */
  function updateDownloadKind(yasgui) {
    const yasqe = yasgui.getTab()?.getYasqe();
    const type = yasqe ? String(yasqe.getQueryType() || "").toUpperCase() : "SELECT";
    const graph = type === "CONSTRUCT" || type === "DESCRIBE";
    document.querySelector('.download-buttons[data-kind="results"]').hidden = graph;
    document.querySelector('.download-buttons[data-kind="graph"]').hidden = !graph;
    // CSV and TSV have no form for a boolean (SPARQL 1.1 CSV/TSV results, section 1).
    for (const button of document.querySelectorAll('.download-buttons[data-kind="results"] [data-tabular]')) {
      button.hidden = type === "ASK";
    }
  }

  /** Run the current query again asking for `accept`, and save the answer as a file. */
  async function download(yasgui, accept, ext) {
    const tab = yasgui.getTab();
    if (!tab) return;
    const name = (tab.getName() || "results").replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "") || "results";
    setStatus(`Preparing ${ext.toUpperCase()}…`);
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { Accept: accept, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: tab.getQuery() }),
      });
      if (!response.ok) throw new Error((await response.text()) || response.statusText);
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = `${name}.${ext}`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      setStatus(`Saved ${a.download}.`);
    } catch (err) {
      setStatus(`Download failed: ${err.message}`);
    }
  }

  function wireDownloads(yasgui) {
    for (const button of document.querySelectorAll(".download-buttons button")) {
      button.addEventListener("click", () => download(yasgui, button.dataset.accept, button.dataset.ext));
    }
    updateDownloadKind(yasgui);
    yasgui.on("tabSelect", () => setTimeout(() => updateDownloadKind(yasgui)));
    yasgui.on("tabChange", () => updateDownloadKind(yasgui));
    yasgui.on("query", () => updateDownloadKind(yasgui));
    // Also while typing, so the offered formats follow a query that has not been run yet.
    document.getElementById("yasgui").addEventListener("keyup", () => updateDownloadKind(yasgui));
  }

  function main() {
    if (typeof Yasgui === "undefined") {
      setStatus("The editor failed to load.");
      return;
    }
    const yasgui = createYasgui();
    window.ilrsYasgui = yasgui; // For the browser test and for curious users in the console.
    watchResults(document.getElementById("yasgui"));
    wireExamples(yasgui);
    wireDownloads(yasgui);
  }

  main();
})();
