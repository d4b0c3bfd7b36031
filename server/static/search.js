// Suggestions under every search box as one types: the first hits of /search (its JSON), as links.
(function () {
  "use strict";
  const DELAY = 150;

  function attach(form) {
    const input = form.querySelector('input[name="q"]');
    if (!input) return;
    const list = document.createElement("ul");
    list.className = "suggestions";
    list.hidden = true;
    list.id = (input.id || "q") + "-suggestions";
    list.setAttribute("role", "listbox");
    input.setAttribute("aria-controls", list.id);
    form.appendChild(list);
    let timer = null;
    let asked = 0;

    async function suggest() {
      const q = input.value.trim();
      const ticket = ++asked;
      if (!q) {
        list.hidden = true;
        return;
      }
      const url = new URL(form.getAttribute("action"), document.baseURI);
      url.searchParams.set("q", q);
      url.searchParams.set("limit", "8");
      let body;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        body = await response.json();
      } catch (err) {
        return; // offline or refused: the form still submits
      }
      if (ticket !== asked) return; // a later keystroke has asked again
      list.replaceChildren();
      for (const entry of body.itemListElement) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = entry.item.url || entry.item["@id"];
        link.textContent = entry.item.name;
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = entry.item.additionalType;
        item.append(link, " ", kind);
        list.appendChild(item);
      }
      list.hidden = list.children.length === 0;
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") list.hidden = true;
    });
  }

  document.querySelectorAll("form.search").forEach(attach);
})();
