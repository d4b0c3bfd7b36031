// Zoom for the diagrams of the ontology documentation. Each starts whole, fitted to its frame's width;
// a click on it shows it at full size (every word readable) around the point clicked, and a second
// click fits it again. The buttons zoom in and out step by step; at any size the frame scrolls.
(function () {
  "use strict";

  const STEP = 1.25;
  const MIN = 0.1;
  const MAX = 4;

  function setUp(figure) {
    const view = figure.querySelector(".diagram-view");
    const img = view && view.querySelector("img");
    if (!img) return;
    let scale = 1;
    const tools = document.createElement("div");
    tools.className = "diagram-tools";
    tools.setAttribute("role", "toolbar");
    tools.setAttribute("aria-label", "Zoom the diagram");
    const shown = document.createElement("output");

    const fit = () => Math.min(1, view.clientWidth / img.naturalWidth);

    function apply(next) {
      if (!img.naturalWidth) return;
      scale = Math.min(MAX, Math.max(MIN, next));
      img.style.width = `${Math.round(img.naturalWidth * scale)}px`; // CSSOM: allowed by the page's policy
      img.style.height = "auto";
      shown.textContent = `${Math.round(scale * 100)} %`;
    }

    const buttons = [
      ["−", "Zoom out", () => apply(scale / STEP)],
      ["+", "Zoom in", () => apply(scale * STEP)],
      ["Fit", "Fit the frame's width", () => apply(fit())],
      ["100 %", "Full size", () => apply(1)],
    ];
    for (const [text, label, action] of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.title = label;
      button.setAttribute("aria-label", label);
      button.addEventListener("click", action);
      tools.appendChild(button);
    }
    tools.appendChild(shown);
    figure.insertBefore(tools, view);
    img.addEventListener("click", (event) => {
      const box = view.getBoundingClientRect();
      const x = (view.scrollLeft + event.clientX - box.left) / scale; // the point clicked, in the diagram's own pixels
      const y = (view.scrollTop + event.clientY - box.top) / scale;
      apply(scale < 1 ? 1 : fit());
      view.scrollLeft = x * scale - (event.clientX - box.left);
      view.scrollTop = y * scale - (event.clientY - box.top);
    });
    img.title = "Click to see it at full size, again to fit it";
    if (img.complete) apply(fit());
    else img.addEventListener("load", () => apply(fit()), { once: true });
  }

  for (const figure of document.querySelectorAll("figure.diagram")) setUp(figure);
})();
