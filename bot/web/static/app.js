// The note editor, a Telegram Mini App. Plain JavaScript, no build step.
//
// Every request carries Telegram's initData (the Authorization header: images too, fetched
// and shown as blob: URLs), and the server checks it. Text from the note is only ever put in
// the page as text (textContent, value): a line reading <img onerror=...> shows as written.
"use strict";

(function () {
  const tg = window.Telegram && window.Telegram.WebApp;
  const initData = (tg && tg.initData) || "";
  // The note: ?note=ID from the Edit button, or a direct link's startapp=ID (t.me/bot/app).
  const noteId = new URLSearchParams(window.location.search).get("note")
    || (tg && tg.initDataUnsafe && tg.initDataUnsafe.start_param) || "";
  const byId = (id) => document.getElementById(id);
  const app = byId("app");
  const els = {
    photo: byId("photo"), viewport: byId("viewport"), stage: byId("stage"),
    photoHint: byId("photo-hint"), wholePage: byId("whole-page"), status: byId("status"),
    content: byId("content"), heading: byId("heading"), titleLabel: byId("title-label"),
    title: byId("title"), checks: byId("checks"), toCheck: byId("to-check"),
    nextFlagged: byId("next-flagged"), empty: byId("empty"), list: byId("lines"),
    addLine: byId("add-line"),
  };
  const SVG = "http://www.w3.org/2000/svg";

  let texts = {};
  let lang = "en";
  let note = null; // as the server last sent it
  let lines = []; // the lines being edited, in their order
  let baseline = ""; // what "nothing changed" looks like (see changeKey)
  let current = null; // the key of the selected line
  let saving = false;
  let newKeys = 0;
  let zoom = 1;
  const pages = []; // per page: {figure, img, svg, rects: Map(key -> rect)}

  // --- small helpers ---

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function toolButton(label, className, onClick, name) {
    const node = element("button", "tool" + (className ? " " + className : ""), label);
    node.type = "button";
    if (name) {
      node.setAttribute("aria-label", name); // a symbol on the button, its name for the ear
      node.title = name;
    }
    node.addEventListener("click", (event) => { event.stopPropagation(); onClick(); });
    return node;
  }
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, (match, key) =>
      key in values ? values[key] : match);
  }
  function number(value) {
    try { return new Intl.NumberFormat(lang).format(value); } catch (error) { return String(value); }
  }
  function oneLine(text) { return text.replace(/\s+/g, " ").trim(); }
  function setState(state) { app.dataset.state = state; }
  function say(message, kind) {
    els.status.textContent = message || "";
    els.status.dataset.kind = kind || "";
    els.status.hidden = !message;
  }

  function applyTheme() {
    if (!tg) return;
    const style = document.documentElement.style;
    const params = tg.themeParams || {};
    for (const key of Object.keys(params)) {
      if (typeof params[key] === "string") {
        style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), params[key]);
      }
    }
    document.documentElement.dataset.scheme = tg.colorScheme === "dark" ? "dark" : "light";
  }

  async function api(method, path, body) {
    const headers = { Authorization: "tma " + initData };
    const options = { method: method, headers: headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    return { status: response.status, data: data };
  }
  const notePath = () => "api/notes/" + encodeURIComponent(noteId);

  // --- what the user changed ---

  function fromServer(line) {
    return {
      key: "l" + line.id, id: line.id, text: line.text, saved: line.text, state: line.state,
      page: line.page, box: line.box, drop: line.state === "dropped", keep: false,
      added: line.added,
    };
  }

  function payload() {
    const sent = [];
    for (const line of lines) {
      const text = oneLine(line.text);
      if (line.id === null) {
        if (text && !line.drop) sent.push({ id: null, text: text });
        continue;
      }
      const drop = line.drop || !text;
      sent.push({ id: line.id, text: text, drop: drop, keep: line.keep && !drop });
    }
    return { version: note.version, title: oneLine(els.title.value) || null, lines: sent };
  }
  function changeKey() {
    const body = payload();
    return JSON.stringify([body.title, body.lines]);
  }
  function isDirty() { return note !== null && changeKey() !== baseline; }

  // What the line's badge says (and its outline's colour): its state as the user left it.
  function status(line) {
    if (line.drop) return "dropped";
    if (line.id === null) return "added";
    if (oneLine(line.text) !== line.saved) return "edited";
    if (line.state === "pending") return line.keep ? "kept" : "flagged";
    if (line.state === "kept") return "kept";
    if (line.state === "retyped") return line.added ? "added" : "edited";
    return "";
  }
  const STATUS_TEXT = { dropped: "dropped", added: "added", edited: "edited", kept: "kept",
    flagged: "flagged" };

  // --- the list of lines ---

  function renderLines(focusKey) {
    els.list.replaceChildren(...lines.map((line, index) => row(line, index)));
    els.empty.hidden = lines.length > 0;
    refreshAll();
    growAll();
    if (focusKey) {
      const area = areaOf(focusKey);
      if (area) area.focus();
    }
  }
  function rowOf(key) { return els.list.querySelector('li[data-key="' + key + '"]'); }
  function areaOf(key) { const li = rowOf(key); return li && li.querySelector("textarea"); }
  function lineOf(key) { return lines.find((line) => line.key === key); }

  function row(line, index) {
    const li = element("li", "line");
    li.dataset.key = line.key;
    const head = element("div", "line-head");
    const label = fill(texts.line, { number: number(index + 1) });
    head.append(element("span", "num", label), element("span", "badge"));
    const primary = toolButton("", "primary", () => primaryAction(line));
    head.append(primary);
    const area = document.createElement("textarea");
    area.rows = 1;
    area.maxLength = 1000;
    area.value = line.text;
    area.setAttribute("aria-label", label);
    area.addEventListener("focus", () => select(line.key, { zoom: true }));
    area.addEventListener("input", () => {
      const flat = area.value.replace(/[\r\n]+/g, " ");
      if (flat !== area.value) area.value = flat;
      line.text = flat;
      grow(area);
      refreshAll();
    });
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        addAfter(line.key);
      }
    });
    const tools = element("div", "tools");
    tools.append(
      toolButton(texts.drop, "danger drop", () => setDropped(line, true)),
      toolButton("↑", "up", () => move(line, -1), texts.up),
      toolButton("↓", "down", () => move(line, 1), texts.down),
      toolButton("+", "add-below", () => addAfter(line.key), texts.add_below),
    );
    li.append(head, area, tools);
    li.addEventListener("click", (event) => {
      if (event.target === li || event.target.parentNode === head) area.focus();
    });
    return li;
  }

  function grow(area) {
    area.style.height = "auto";
    area.style.height = area.scrollHeight + 2 + "px";
  }
  function growAll() {
    // All writes, then all reads, then all writes: one layout, not one per field.
    const areas = [...els.list.querySelectorAll("textarea")];
    for (const area of areas) area.style.height = "auto";
    const heights = areas.map((area) => area.scrollHeight);
    areas.forEach((area, index) => { area.style.height = heights[index] + 2 + "px"; });
  }

  function refreshRow(line, index) {
    const li = rowOf(line.key);
    if (!li) return;
    const state = status(line);
    li.className = "line" + (state ? " " + state : "") + (line.key === current ? " current" : "");
    li.querySelector(".badge").textContent = state ? texts[STATUS_TEXT[state]] || "" : "";
    const primary = li.querySelector("button.primary");
    primary.hidden = !(state === "flagged" || line.drop);
    primary.textContent = line.drop ? texts.restore : texts.keep;
    const area = li.querySelector("textarea");
    area.readOnly = line.drop;
    li.querySelector("button.drop").hidden = line.drop;
    li.querySelector("button.up").disabled = index === 0;
    li.querySelector("button.down").disabled = index === lines.length - 1;
    if (!line.box && line.id !== null && pages.length) area.title = texts.no_box;
  }

  function refreshAll() {
    lines.forEach(refreshRow);
    const flagged = lines.filter((line) => status(line) === "flagged").length;
    els.checks.classList.toggle("pending", flagged > 0);
    els.toCheck.textContent = flagged
      ? fill(texts.to_check, { count: number(flagged) }) : texts.all_checked;
    els.nextFlagged.hidden = flagged === 0;
    refreshBoxes();
    refreshButtons();
  }

  function primaryAction(line) {
    if (line.drop) setDropped(line, false);
    else { line.keep = true; refreshAll(); }
  }
  function setDropped(line, dropped) {
    if (dropped && line.id === null) {
      lines = lines.filter((other) => other !== line);
      current = null;
      renderLines();
      return;
    }
    line.drop = dropped;
    if (!dropped && !oneLine(line.text)) line.text = line.saved;
    const area = areaOf(line.key);
    if (area) area.value = line.text;
    refreshAll();
  }
  function move(line, delta) {
    const from = lines.indexOf(line);
    const to = from + delta;
    if (to < 0 || to >= lines.length) return;
    lines.splice(from, 1);
    lines.splice(to, 0, line);
    renderLines(line.key);
  }
  function addAfter(key) {
    const index = key ? lines.findIndex((line) => line.key === key) : lines.length - 1;
    const neighbour = lines[index];
    const line = {
      key: "n" + newKeys++, id: null, text: "", saved: "", state: "new",
      page: neighbour ? neighbour.page : 0, box: null, drop: false, keep: false, added: true,
    };
    lines.splice(index + 1, 0, line);
    renderLines(line.key);
  }
  function nextFlagged() {
    const start = Math.max(0, lines.findIndex((line) => line.key === current) + 1);
    const order = lines.slice(start).concat(lines.slice(0, start));
    const next = order.find((line) => status(line) === "flagged");
    if (next) focusLine(next.key);
  }
  function focusLine(key) {
    const area = areaOf(key);
    if (!area) return;
    area.focus({ preventScroll: true });
    rowOf(key).scrollIntoView({ block: "center", behavior: "smooth" });
  }

  // --- the photo, with each line's outline ---

  function select(key, options) {
    current = key;
    for (const li of els.list.children) li.classList.toggle("current", li.dataset.key === key);
    refreshBoxes();
    const line = lineOf(key);
    if (line && options && options.zoom) zoomTo(line);
  }

  function buildPages(count) {
    els.photo.hidden = count === 0;
    for (let index = 0; index < count; index += 1) {
      const figure = element("figure", "page");
      const img = document.createElement("img");
      img.alt = fill(texts.page, { number: number(index + 1) });
      figure.append(img);
      els.stage.append(figure);
      const page = { figure: figure, img: img, svg: null, rects: new Map(), ready: false };
      pages.push(page);
      loadPage(index, page);
    }
    els.photoHint.textContent = count > 1 ? fill(texts.page, { number: number(1) }) : "";
  }

  async function loadPage(index, page) {
    try {
      const response = await fetch(notePath() + "/pages/" + index, {
        headers: { Authorization: "tma " + initData }, cache: "no-store",
      });
      if (!response.ok) throw new Error(String(response.status));
      const url = URL.createObjectURL(await response.blob());
      await new Promise((resolve, reject) => {
        page.img.onload = resolve;
        page.img.onerror = reject;
        page.img.src = url;
      });
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("viewBox", "0 0 " + page.img.naturalWidth + " " + page.img.naturalHeight);
      svg.setAttribute("preserveAspectRatio", "none");
      page.figure.append(svg);
      page.svg = svg;
      page.ready = true;
    } catch (error) {
      page.figure.append(element("figcaption", "", texts.photo_failed));
    }
    refreshBoxes();
    if (pages.every((other) => other.ready || other.figure.querySelector("figcaption"))) {
      app.dataset.images = "loaded";
      performance.mark("editor-photos");
      const line = lineOf(current);
      if (line) zoomTo(line);
    }
  }

  function refreshBoxes() {
    for (const line of lines) {
      const page = pages[line.page];
      if (!line.box || !page || !page.svg) continue;
      let rect = page.rects.get(line.key);
      if (!rect) {
        rect = document.createElementNS(SVG, "rect");
        const [x, y, width, height] = line.box;
        rect.setAttribute("x", x);
        rect.setAttribute("y", y);
        rect.setAttribute("width", width);
        rect.setAttribute("height", height);
        rect.dataset.key = line.key;
        rect.addEventListener("click", () => focusLine(line.key));
        page.svg.append(rect);
        page.rects.set(line.key, rect);
      }
      const state = status(line);
      let classes = "box";
      if (state === "flagged") classes += " flagged";
      if (line.drop) classes += " dropped";
      if (line.key === current) classes += " current";
      rect.setAttribute("class", classes);
    }
  }

  function setZoom(value) {
    zoom = Math.max(1, Math.min(4, value));
    els.stage.style.width = zoom * 100 + "%";
  }
  function zoomTo(line) {
    const page = pages[line.page];
    if (!line.box || !page || !page.ready) return;
    const [x, y, width, height] = line.box;
    const naturalWidth = page.img.naturalWidth;
    setZoom((0.9 * naturalWidth) / Math.max(width, 1));
    const scale = page.img.clientWidth / naturalWidth;
    const viewport = els.viewport;
    viewport.scrollTo({
      left: (x + width / 2) * scale - viewport.clientWidth / 2,
      top: page.figure.offsetTop + (y + height / 2) * scale - viewport.clientHeight / 2,
      behavior: "smooth",
    });
    if (pages.length > 1) els.photoHint.textContent = fill(texts.page, { number: number(line.page + 1) });
  }
  function wholePage() {
    const line = lineOf(current);
    const page = pages[line ? line.page : 0];
    setZoom(1);
    els.viewport.scrollTo({ left: 0, top: page ? page.figure.offsetTop : 0 });
  }

  // --- Telegram's buttons: Save (MainButton), Back ---

  function refreshButtons() {
    const dirty = isDirty();
    app.dataset.dirty = dirty ? "yes" : "no";
    if (!tg || note === null) return;
    const active = dirty && !saving;
    if (active) tg.MainButton.enable();
    else tg.MainButton.disable();
    // Some Telegram apps draw a disabled MainButton like an enabled one: grey it out.
    const theme = tg.themeParams || {};
    const color = active ? theme.button_color : theme.hint_color;
    if (color) tg.MainButton.setParams({ color: color });
    if (dirty) tg.enableClosingConfirmation();
    else tg.disableClosingConfirmation();
  }

  function back() {
    if (!isDirty()) { tg.close(); return; }
    tg.showConfirm(texts.discard, (discard) => {
      if (discard) {
        tg.disableClosingConfirmation();
        tg.close();
      }
    });
  }

  async function save() {
    if (saving || !isDirty()) return;
    saving = true;
    setState("saving");
    say("");
    if (tg) tg.MainButton.showProgress(false);
    refreshButtons();
    let result;
    try {
      result = await api("POST", notePath(), payload());
    } catch (error) {
      result = { status: 0, data: null };
    }
    saving = false;
    if (tg) tg.MainButton.hideProgress();
    const data = result.data || {};
    if (result.status === 200 && data.note) {
      show(data.note);
      setState("saved");
      say(texts.saved, "ok");
      if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred("success");
      if (tg) tg.close();
      return;
    }
    if (result.status === 409 && data.note) {
      show(data.note); // the note as it is now: the user's changes were not applied
      setState("stale");
      say(data.message, "error");
      if (tg) tg.showAlert(data.message);
      return;
    }
    setState("failed");
    say(data.message || texts.save_failed, "error");
    refreshButtons();
  }

  // --- loading ---

  function show(fresh) {
    const first = note === null;
    note = fresh;
    lines = fresh.lines.map(fromServer);
    els.title.value = fresh.title;
    baseline = changeKey();
    if (first) buildPages(fresh.pages);
    if (current && !lineOf(current)) current = null;
    renderLines();
    if (current) select(current, {});
  }

  function words() {
    document.documentElement.lang = lang;
    document.title = texts.heading;
    els.heading.textContent = texts.heading;
    els.titleLabel.textContent = texts.title;
    els.title.placeholder = texts.untitled;
    els.nextFlagged.textContent = texts.next_flagged;
    els.addLine.textContent = texts.add;
    els.wholePage.textContent = texts.whole_page;
    els.empty.textContent = texts.no_lines;
  }

  async function load() {
    setState("loading");
    let result;
    try {
      result = await api("GET", notePath());
    } catch (error) {
      result = { status: 0, data: null };
    }
    const data = result.data || {};
    if (result.status !== 200 || !data.note) {
      setState("error");
      say(data.message || "⚠️", "error");
      return;
    }
    texts = data.texts;
    lang = data.lang;
    words();
    els.content.hidden = false;
    show(data.note);
    const flagged = lines.find((line) => status(line) === "flagged");
    if (flagged) select(flagged.key, { zoom: true });
    if (tg) {
      tg.MainButton.setText(texts.save);
      tg.MainButton.onClick(save);
      tg.MainButton.show();
      tg.BackButton.onClick(back);
      tg.BackButton.show();
      refreshButtons();
      tg.ready();
    }
    setState("ready");
    performance.mark("editor-ready"); // for bench/webapp.py: since the navigation started
  }

  els.title.addEventListener("input", refreshButtons);
  els.nextFlagged.addEventListener("click", nextFlagged);
  els.addLine.addEventListener("click", () => addAfter(lines.length ? lines[lines.length - 1].key : null));
  els.wholePage.addEventListener("click", wholePage);
  if (tg) {
    applyTheme();
    tg.onEvent("themeChanged", applyTheme);
    tg.expand();
  }
  load();
})();
