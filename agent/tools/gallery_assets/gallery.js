"use strict";
// Builds the gallery from the embedded JSON. Manifest text is untrusted: it only ever enters the
// page as text nodes or attribute values set through the DOM, never as markup.
(() => {
  const data = JSON.parse(document.getElementById("tool-data").textContent);
  const tools = data.tools;

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false || child === "") continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // ISO times as "2026-11-25 15:55 UTC"; anything else as it is.
  const when = (iso) => {
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(?:\+00:00|Z)$/.exec(iso || "");
    return m ? `${m[1]} ${m[2]} UTC` : iso;
  };
  const number = (x) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));

  function paramValue(param, values) {
    if (values === null || values === undefined) return null;
    if (param.type === "bool") return values[0] ? "true" : "false";
    return values.length === 1 ? number(values[0]) : "(" + values.map(number).join(", ") + ")";
  }

  function paramRange(param) {
    if (param.min === null && param.max === null) return "any";
    const low = paramValue(param, param.min) ?? "−∞";
    const high = paramValue(param, param.max) ?? "∞";
    return `${low} … ${high}`;
  }

  function status(tool) {
    const v = tool.validation;
    if (!v) return { key: "unchecked", label: "not validated" };
    return v.ok ? { key: "ok", label: "✓ validated" } : { key: "failed", label: "✗ failed validation" };
  }

  // A definition list of the fields that have something to say; `always` ones show "—" when empty.
  function facts(rows) {
    const list = el("dl", { class: "facts" });
    for (const [name, value, always] of rows) {
      const empty = value === null || value === undefined || value === "" ||
        (Array.isArray(value) && value.length === 0);
      if (empty && !always) continue;
      list.append(el("dt", {}, name), el("dd", { class: empty ? "none" : null }, empty ? "—" : value));
    }
    return list;
  }

  function parentLinks(parents) {
    if (!parents.length) return null;
    const known = new Set(tools.map((t) => t.id));
    return parents.flatMap((id, i) => [
      i ? ", " : null,
      known.has(id) ? el("a", { href: "#tool-" + id }, id) : el("span", {}, id),
    ]);
  }

  function card(tool) {
    const state = status(tool);
    const v = tool.validation;
    const preview = tool.preview
      ? el("img", { src: tool.preview, loading: "lazy", decoding: "async", width: 192, height: 108,
                    alt: `animated preview of ${tool.id}` })
      : el("div", { class: "no-preview" }, "no preview");

    const params = tool.params.length
      ? el("table", { class: "params" },
          el("thead", {}, el("tr", {}, ["name", "type", "default", "range"].map((h) => el("th", {}, h)))),
          el("tbody", {}, tool.params.map((p) => el("tr", { title: p.description || null },
            el("td", {}, el("code", {}, p.name), p.description ? el("div", { class: "pdesc" }, p.description) : null),
            el("td", {}, p.type),
            el("td", {}, paramValue(p, p.default)),
            el("td", {}, paramRange(p))))))
      : el("p", { class: "none" }, "no parameters");

    const critic = tool.stats.critic_mean === null
      ? "none yet"
      : `${tool.stats.critic_mean.toFixed(2)} over ${tool.stats.critic_n} ${tool.stats.critic_n === 1 ? "edit" : "edits"}`;

    const lines = tool.source.split("\n").length;
    return el("article", { class: `card ${state.key}`, id: "tool-" + tool.id, "data-id": tool.id, "data-kind": tool.kind },
      el("figure", { class: "preview" }, preview),
      el("div", { class: "body" },
        el("div", { class: "head" },
          el("h2", {}, tool.id),
          el("span", { class: `badge kind-${tool.kind}` }, tool.kind),
          tool.library === "workspace" ? el("span", { class: "badge workspace" }, "workspace") : null),
        el("p", { class: `status ${state.key}` }, state.label,
          v && !v.ok && v.reason ? el("span", { class: "reason" }, ": " + v.reason) : null),
        el("p", { class: "description" }, tool.description),
        tool.tags.length ? el("ul", { class: "tags" }, tool.tags.map((t) => el("li", {}, t))) : null,
        el("section", {}, el("h3", {}, "Parameters"), params),
        // Provenance and stats side by side, unless the provenance has long text to show.
        el("div", { class: tool.provenance.request || tool.provenance.origin || tool.provenance.parents.length
          ? "pair stacked" : "pair" },
        el("section", {}, el("h3", {}, "Provenance"), facts([
          ["author", tool.provenance.author, true],
          ["parents", parentLinks(tool.provenance.parents)],
          ["request", tool.provenance.request],
          ["origin", tool.provenance.origin],
          ["created", tool.provenance.created, true],
        ])),
        el("section", {}, el("h3", {}, "Stats"), facts([
          ["uses", String(tool.stats.uses), true],
          ["critic", critic, true],
        ]))),
        el("section", {}, el("h3", {}, "Validation"), facts([
          ["result", v ? (v.ok ? "passed" : "failed") : "never checked", true],
          ["reason", v && v.reason],
          ["renderer", v && v.renderer],
          ["720p frame", v && v.ms_per_frame_720p !== null ? `${number(v.ms_per_frame_720p)} ms` : null],
          ["sandbox", v && v.sandbox],
          ["checked", v && when(v.checked)],
        ])),
        el("details", { class: "source" },
          el("summary", {}, `Source · ${tool.source_file} · ${lines} ${lines === 1 ? "line" : "lines"}`),
          el("pre", {}, el("code", {}, tool.source)))));
  }

  // --- page ------------------------------------------------------------------------------
  const grid = document.getElementById("grid");
  const search = document.getElementById("search");
  const count = document.getElementById("count");
  const empty = document.getElementById("empty");
  const kinds = document.getElementById("kinds");

  const cards = tools.map((tool) => ({
    tool,
    node: card(tool),
    text: [tool.id, tool.description, ...tool.tags].join(" ").toLowerCase(),
  }));
  grid.append(...cards.map((c) => c.node));

  const failed = tools.filter((t) => t.validation && !t.validation.ok).length;
  const unchecked = tools.filter((t) => !t.validation).length;
  document.getElementById("summary").append(el("span", {},
    `${tools.length} tools`,
    failed ? el("span", { class: "warn" }, ` · ${failed} failed validation`) : null,
    unchecked ? el("span", { class: "warn" }, ` · ${unchecked} not validated`) : null,
    ` · generated ${when(data.generated)}`));

  if (data.problems.length) {
    const box = document.getElementById("problems");
    box.append(el("h2", {}, `${data.problems.length} tool ${data.problems.length === 1 ? "folder" : "folders"} could not be loaded`),
      el("ul", {}, data.problems.map((p) => el("li", {}, el("code", {}, p)))));
    box.hidden = false;
  }

  let kind = "all";
  const buttons = ["all", ...data.kinds].map((k) => {
    const n = k === "all" ? tools.length : tools.filter((t) => t.kind === k).length;
    const button = el("button", { type: "button", class: `kind kind-${k}`, "data-kind": k, "aria-pressed": k === kind },
      k === "all" ? "all" : k, el("span", { class: "n" }, String(n)));
    button.disabled = n === 0 && k !== "all";
    button.addEventListener("click", () => { kind = k; apply(); });
    return button;
  });
  kinds.append(...buttons);

  function apply() {
    const terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const c of cards) {
      const visible = (kind === "all" || c.tool.kind === kind) && terms.every((t) => c.text.includes(t));
      c.node.hidden = !visible;
      shown += visible;
    }
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.kind === kind));
    count.textContent = `${shown} of ${tools.length} tools`;
    empty.hidden = shown > 0;
  }

  search.addEventListener("input", apply);
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== search) { event.preventDefault(); search.focus(); }
    if (event.key === "Escape" && document.activeElement === search) { search.value = ""; apply(); }
  });
  // A link to a card the filters hide (a parent tool) clears the filters first.
  window.addEventListener("hashchange", () => {
    const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.hidden) { search.value = ""; kind = "all"; apply(); target.scrollIntoView(); }
  });
  apply();
})();
