// A link to the earlier front page's editor (`/#query=…`, as YASGUI shares queries) opens the editor,
// which now lives at `query`: the fragment is carried over unchanged.
(function () {
  "use strict";
  if (/^#(.*&)?query=/.test(window.location.hash)) {
    window.location.replace(new URL("query" + window.location.hash, document.baseURI).href);
  }
})();
