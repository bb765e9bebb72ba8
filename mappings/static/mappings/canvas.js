// The mapping canvas (templates/admin/mappings/mappingset/canvas.html): plain JS, no build step, nothing
// inline (the Content-Security-Policy allows neither inline scripts nor inline styles, and no eval).
// Every edit is saved at once to the draft's field mappings through the JSON endpoints (mappings/canvas_views.py),
// then the canvas and the preview are redrawn from the server's answer: the server is the only truth.
(function () {
  "use strict";
  const app = document.getElementById("ll-canvas-app");
  if (!app) return;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const editable = app.dataset.editable === "yes";
  const csrf = app.querySelector("input[name=csrfmiddlewaretoken]").value;
  let state = null, picked = null, openLink = null, sample = "", pendingWork = 0;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function say(text, isError) {
    const status = $("ll-canvas-status");
    status.textContent = text;
    status.className = isError ? "errornote" : "";
  }

  async function call(url, body) {
    const options = body === undefined ? {} : {
      method: "POST", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
    };
    const response = await fetch(url, {credentials: "same-origin", ...options});
    const data = await response.json().catch(() => ({error: `The server answered ${response.status}.`}));
    if (!response.ok) throw new Error(data.error || `The server answered ${response.status}.`);
    return data;
  }

  function show(value) {
    if (value === null || value === undefined || value === "") return "";
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  // -- drawing -------------------------------------------------------------------------------
  function fieldButton(field, side) {
    const li = el("li");
    const button = el("button", {type: "button", class: "ll-canvas-field", "data-side": side, "data-path": field.path,
                                 "aria-pressed": "false"});
    const name = el("span", {class: "ll-canvas-name"}, field.path);
    // Richer schemas (Salesforce describe) say more: shown when present, ignored when not.
    const meta = [field.type, field.max_length ? `≤${field.max_length}` : "", field.required ? "required" : "",
                  field.external_id ? "external id" : "",
                  side === "target" && (field.createable === false && field.updateable === false) ? "read-only" : ""]
      .filter(Boolean).join(" · ");
    const choices = picklist(field);
    if (choices) button.setAttribute("title", `Values: ${choices}`);
    button.append(name, el("span", {class: "ll-canvas-meta"}, meta));
    if (side === "source" && show(field.sample) !== "") {
      button.append(el("span", {class: "ll-canvas-sample"}, show(field.sample)));
    }
    if (side === "target" && field.missing) {
      button.classList.add("ll-canvas-missing");
      button.append(el("span", {class: "ll-canvas-flag"}, "required, not mapped"));
    }
    const label = `${side} field ${field.path}${meta ? ` (${meta})` : ""}${field.missing ? ", required and not mapped" : ""}`;
    button.setAttribute("aria-label", label);
    li.append(button);
    return li;
  }

  function picklist(field) {
    const values = field.picklist || field.picklist_values || field.choices;
    if (!Array.isArray(values) || !values.length) return "";
    return values.map((v) => (v && typeof v === "object" ? v.value ?? v.label : v)).join(", ");
  }

  // Redrawing replaces the buttons: keep the keyboard where it was (the same field, or the links list).
  function focusKey() {
    const active = document.activeElement;
    if (!active || !app.contains(active)) return null;
    if (active.matches("button.ll-canvas-field")) return `button.ll-canvas-field[data-side="${active.dataset.side}"][data-path="${CSS.escape(active.dataset.path)}"]`;
    if (active.matches("button.ll-canvas-link")) return "button.ll-canvas-link";
    return null;
  }

  function render() {
    const keep = focusKey();
    const sources = $("ll-canvas-sources"), targets = $("ll-canvas-targets"), links = $("ll-canvas-links");
    sources.replaceChildren(...state.sources.map((f) => fieldButton(f, "source")));
    targets.replaceChildren(...state.targets.map((f) => fieldButton(f, "target")));
    const linked = new Set(state.links.map((l) => l.target_field));
    for (const b of targets.querySelectorAll("button")) b.classList.toggle("ll-canvas-linked", linked.has(b.dataset.path));
    links.replaceChildren(...state.links.map((link) => {
      const li = el("li");
      const steps = link.transforms.map((t) => t.name).join(" → ");
      const button = el("button", {type: "button", class: "ll-canvas-link", "data-link": String(link.id)},
                        `${link.source_path || "(computed)"} → ${link.target_field}${steps ? ` [${steps}]` : ""}`);
      li.append(button);
      return li;
    }));
    const select = $("ll-canvas-sample");
    select.replaceChildren(...state.samples.map((s) => el("option", {value: s.key}, s.label)));
    if (!state.samples.length) select.append(el("option", {value: ""}, "No records have arrived yet"));
    select.value = sample;
    const add = $("ll-canvas-add-name");
    if (!add.options.length) add.append(...state.transforms.map((t) => el("option", {value: t.name}, `${t.name} — ${t.summary}`)));
    showParams();
    if (openLink !== null && !state.links.some((l) => l.id === openLink)) openLink = null;
    renderPanel();
    drawLines();
    const again = keep && app.querySelector(keep);
    if (again) again.focus();
  }

  function anchor(button, side) {
    const box = button.getBoundingClientRect(), base = $("ll-canvas-lines").getBoundingClientRect();
    return {x: (side === "source" ? box.right : box.left) - base.left, y: box.top + box.height / 2 - base.top};
  }

  function line(a, b, attrs) {
    const node = document.createElementNS(SVG, "line");
    for (const [k, v] of Object.entries({x1: a.x, y1: a.y, x2: b.x, y2: b.y, ...attrs})) node.setAttribute(k, v);
    return node;
  }

  function drawLines() {
    const svg = $("ll-canvas-lines"), board = $("ll-canvas-board");
    svg.setAttribute("width", board.clientWidth);
    svg.setAttribute("height", board.clientHeight);
    const lines = [];
    for (const link of state.links) {
      const s = button("source", link.source_path), t = button("target", link.target_field);
      if (!s || !t) continue;
      lines.push(line(anchor(s, "source"), anchor(t, "target"),
                      {class: link.id === openLink ? "ll-canvas-line ll-canvas-open" : "ll-canvas-line",
                       "data-link": String(link.id)}));
    }
    svg.replaceChildren(...lines);
  }

  function button(side, path) {
    return app.querySelector(`button.ll-canvas-field[data-side="${side}"][data-path="${CSS.escape(path)}"]`);
  }

  // -- the link panel --------------------------------------------------------------------------
  function current() {
    return state.links.find((l) => l.id === openLink) || null;
  }

  function renderPanel() {
    const link = current(), panel = $("ll-canvas-panel");
    panel.hidden = link === null;
    if (link === null) return;
    $("ll-canvas-panel-title").textContent = `${link.source_path || "(computed)"} → ${link.target_field}`;
    $("ll-canvas-chain").replaceChildren(...link.transforms.map((step, index) => {
      const li = el("li", {}, `${step.name}${step.args && Object.keys(step.args).length ? " " + JSON.stringify(step.args) : ""} `);
      if (editable) {
        const remove = el("button", {type: "button", class: "ll-canvas-button", "data-step": String(index),
                                     "aria-label": `Remove ${step.name}`}, "remove");
        li.append(remove);
      }
      return li;
    }));
    $("ll-canvas-default").value = show(link.default);
    $("ll-canvas-condition").value = show(link.condition);
    for (const id of ["ll-canvas-add", "ll-canvas-save", "ll-canvas-remove"]) $(id).disabled = !editable;
  }

  // One input per argument of the chosen transform, typed by its kind (mappings/transforms.py Param):
  // a list of choices, yes/no, a number, a comma-separated list, JSON for the free-form ones, else text.
  const ARG_HINTS = {texts: "comma-separated", paths: "comma-separated field paths", path: "a field path",
                     any: "JSON", dict: "JSON object", condition: "JSON condition", zone: "e.g. UTC",
                     regex: "a regular expression"};

  function argInput(param) {
    const attrs = {id: `ll-canvas-arg-${param.name}`, "data-name": param.name, "data-kind": param.kind,
                   class: "ll-canvas-arg"};
    if (param.kind === "choice" || param.kind === "bool") {
      const select = el("select", attrs);
      const options = param.kind === "bool" ? [["", "—"], ["true", "yes"], ["false", "no"]]
        : [["", "—"], ...param.choices.map((c) => [c, c])];
      select.append(...options.map(([value, label]) => el("option", {value}, label)));
      return select;
    }
    const input = el("input", {...attrs, type: param.kind === "int" || param.kind === "number" ? "number" : "text"});
    if (param.kind === "int") input.setAttribute("min", "0");
    if (param.kind === "number") input.setAttribute("step", "any");
    if (ARG_HINTS[param.kind]) input.setAttribute("placeholder", ARG_HINTS[param.kind]);
    return input;
  }

  function showParams() {
    const chosen = state.transforms.find((t) => t.name === $("ll-canvas-add-name").value);
    const params = chosen ? chosen.params : [];
    $("ll-canvas-add-params").textContent = params.length
      ? `Arguments${params.some((p) => p.required) ? " (* required)" : ""}:` : "No arguments.";
    $("ll-canvas-add-args").replaceChildren(...params.map((param) => {
      const row = el("p");
      const label = el("label", {for: `ll-canvas-arg-${param.name}`},
                       `${param.name}${param.required ? " *" : ""}${param.help ? ` — ${param.help}` : ""}`);
      row.append(label, el("br"), argInput(param));
      return row;
    }));
  }

  function argValue(input) {
    const text = input.value.trim(), name = input.dataset.name;
    switch (input.dataset.kind) {
      case "int": {
        const value = Number(text);
        if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number ≥ 0.`);
        return value;
      }
      case "bool": return text === "true";
      case "number": return text;  // kept as written: amounts are decimals, never binary floats
      case "texts": case "paths": return text.split(",").map((v) => v.trim()).filter(Boolean);
      case "any": case "dict": case "condition": return parsed(text, `argument ${name}`);
      default: return text;
    }
  }

  function argsCollected() {
    const args = {};
    for (const input of $("ll-canvas-add-args").querySelectorAll(".ll-canvas-arg")) {
      if (input.value.trim() !== "") args[input.dataset.name] = argValue(input);
    }
    return args;
  }

  function parsed(text, what) {
    if (!text.trim()) return null;
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`The ${what} is not valid JSON: ${error.message}.`);
    }
  }

  // -- changes -----------------------------------------------------------------------------------
  async function reload() {
    state = await call(`${app.dataset.dataUrl}?sample=${encodeURIComponent(sample)}`);
    sample = sample || state.sample;
    render();
    await preview();
  }

  async function preview() {
    if (!sample) {
      $("ll-canvas-output").textContent = "No sample record yet: the preview appears once a record of the source has arrived.";
      return;
    }
    try {
      const result = await call(`${app.dataset.previewUrl}?sample=${encodeURIComponent(sample)}`);
      $("ll-canvas-output").textContent = JSON.stringify(result.payload, null, 2);
      $("ll-canvas-errors").replaceChildren(...result.errors.map((e) => el("li", {}, `${e.field}: ${e.message}`)));
    } catch (error) {
      say(error.message, true);
    }
  }

  function save(body, done) {
    return busy(() => saveNow(body, done));
  }

  async function saveNow(body, done) {
    try {
      const answer = await call(app.dataset.linkUrl, body);
      openLink = answer.link.id;
      say(done);
      await reload();
      return true;
    } catch (error) {
      say(error.message, true);
      return false;
    }
  }

  // While an edit is saved, redrawn and previewed, the app says it is busy (data-busy): the keyboard's focus
  // moves when it ends, so a person (or a test) typing meanwhile would land on the wrong button.
  async function busy(work) {
    pendingWork += 1;
    app.setAttribute("data-busy", "yes");
    try {
      return await work();
    } finally {
      pendingWork -= 1;
      if (!pendingWork) app.removeAttribute("data-busy");
    }
  }

  function linkFields(sourcePath, targetPath) {
    const existing = state.links.find((l) => l.target_field === targetPath);
    const body = existing ? {id: existing.id, source_path: sourcePath, target_field: targetPath}
      : {source_path: sourcePath, target_field: targetPath};
    return busy(async () => {
      const ok = await save(body, `Linked ${sourcePath} → ${targetPath}.`);
      const target = button("target", targetPath);
      if (ok && target) target.focus();
    });
  }

  function unlink(id) {
    return busy(() => unlinkNow(id));
  }

  async function unlinkNow(id) {
    const link = state.links.find((l) => l.id === id);
    try {
      await call(app.dataset.unlinkUrl, {id});
      say(`Removed the link to ${link ? link.target_field : id}.`);
      if (openLink === id) openLink = null;
      await reload();
    } catch (error) {
      say(error.message, true);
    }
  }

  function pick(source) {
    picked = picked === source ? null : source;
    for (const b of $("ll-canvas-sources").querySelectorAll("button")) {
      b.setAttribute("aria-pressed", String(b.dataset.path === picked));
    }
    if (picked) say(`Picked ${picked}: now choose the target field.`);
  }

  function open(id) {
    openLink = id;
    renderPanel();
    drawLines();
  }

  // -- events: click-click, keyboard, drag ---------------------------------------------------------
  app.addEventListener("click", (event) => {
    const field = event.target.closest("button.ll-canvas-field");
    const linkButton = event.target.closest("button.ll-canvas-link");
    const step = event.target.closest("button[data-step]");
    if (step && editable) {
      const link = current();
      const transforms = link.transforms.filter((_, i) => i !== Number(step.dataset.step));
      save({id: link.id, source_path: link.source_path, target_field: link.target_field, transforms},
           `Removed a transform from ${link.target_field}.`);
    } else if (linkButton) {
      open(Number(linkButton.dataset.link));
    } else if (field && field.dataset.side === "source" && editable) {
      pick(field.dataset.path);
    } else if (field && field.dataset.side === "target") {
      if (picked && editable) {
        const source = picked;
        pick(source);
        linkFields(source, field.dataset.path);
      } else {
        const link = state.links.find((l) => l.target_field === field.dataset.path);
        if (link) open(link.id);
      }
    }
  });

  app.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && picked) {
      pick(picked);  // picking the picked source again lets go of it
      say("Nothing picked.");
      return;
    }
    if (event.key !== "Delete" && event.key !== "Backspace") return;
    if (!editable || event.target.matches("input, textarea, select")) return;
    const linkButton = event.target.closest("button.ll-canvas-link");
    const target = event.target.closest('button.ll-canvas-field[data-side="target"]');
    const link = linkButton ? state.links.find((l) => l.id === Number(linkButton.dataset.link))
      : target ? state.links.find((l) => l.target_field === target.dataset.path) : null;
    if (link) {
      event.preventDefault();
      unlink(link.id);
    }
  });

  $("ll-canvas-lines").addEventListener("click", (event) => {
    if (event.target.dataset && event.target.dataset.link) open(Number(event.target.dataset.link));
  });

  let drag = null;
  app.addEventListener("pointerdown", (event) => {
    const field = event.target.closest('button.ll-canvas-field[data-side="source"]');
    if (!field || !editable || event.button !== 0) return;
    drag = {path: field.dataset.path, from: anchor(field, "source"), x: event.clientX, y: event.clientY, moved: false};
  });
  document.addEventListener("pointermove", (event) => {
    if (!drag) return;
    if (!drag.moved && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < 5) return;
    drag.moved = true;
    const base = $("ll-canvas-lines").getBoundingClientRect();
    const ghost = line(drag.from, {x: event.clientX - base.left, y: event.clientY - base.top}, {class: "ll-canvas-line ll-canvas-ghost"});
    const old = $("ll-canvas-lines").querySelector(".ll-canvas-ghost");
    if (old) old.replaceWith(ghost); else $("ll-canvas-lines").append(ghost);
  });
  document.addEventListener("pointerup", (event) => {
    if (!drag) return;
    const started = drag;
    drag = null;
    const ghost = $("ll-canvas-lines").querySelector(".ll-canvas-ghost");
    if (ghost) ghost.remove();
    if (!started.moved) return;  // a click: the click handler picks the source
    const over = document.elementFromPoint(event.clientX, event.clientY);
    const target = over && over.closest('button.ll-canvas-field[data-side="target"]');
    if (target) linkFields(started.path, target.dataset.path);
  });

  $("ll-canvas-add-name").addEventListener("change", showParams);
  $("ll-canvas-add").addEventListener("click", () => {
    const link = current();
    try {
      const args = argsCollected();
      const step = {name: $("ll-canvas-add-name").value, ...(Object.keys(args).length ? {args} : {})};
      save({id: link.id, source_path: link.source_path, target_field: link.target_field,
            transforms: [...link.transforms, step]}, `Added ${step.name} to ${link.target_field}.`);
    } catch (error) {
      say(error.message, true);
    }
  });
  $("ll-canvas-save").addEventListener("click", () => {
    const link = current();
    try {
      save({id: link.id, source_path: link.source_path, target_field: link.target_field,
            default: parsed($("ll-canvas-default").value, "default"),
            condition: parsed($("ll-canvas-condition").value, "condition")}, `Saved ${link.target_field}.`);
    } catch (error) {
      say(error.message, true);
    }
  });
  $("ll-canvas-remove").addEventListener("click", () => unlink(openLink));
  $("ll-canvas-sample").addEventListener("change", (event) => {
    sample = event.target.value;
    busy(reload);
  });
  window.addEventListener("resize", () => state && drawLines());

  reload().then(() => app.setAttribute("data-ready", "yes")).catch((error) => say(error.message, true));
})();
