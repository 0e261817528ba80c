// Building the page from data. Text always goes in as text (never as HTML), so nothing a
// school or unit typed can run as script.

/** An element: `h("a", { href: "#/x", class: "nav" }, "text", child)`. An attribute named
 * on… is a listener, `dataset` an object of data-… values; null and false leave an attribute
 * out, true sets it empty (`hidden: true`). Children may be nested lists; null is skipped. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined));
  return element;
}

/** A table of `rows`: one column per `{ label, value(row), numeric? }`; `options.row(row)`
 * gives a row's attributes (a test finds a school's row by its `data-code`). */
export function table(columns, rows, { caption, row = () => ({}) } = {}) {
  const head = h("tr", {}, columns.map((column) => h("th", { scope: "col" }, column.label)));
  const body = rows.map((each) =>
    h(
      "tr",
      row(each),
      columns.map((column) => h("td", { class: column.numeric ? "number" : null }, column.value(each))),
    ),
  );
  return h(
    "table",
    { class: "data" },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, head),
    h("tbody", {}, body),
  );
}

/** A message for the reader: `kind` is "info" or "error" (read out at once). */
export function notice(text, kind = "info") {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** A definition list of `[term, value]` pairs; a null pair is left out. */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(Boolean).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}

/** A labelled <select id=…> of `[value, text]` options, `chosen` selected, calling
 * `onchange(value)`. */
export function choice(id, label, options, chosen, onchange) {
  return h(
    "label",
    {},
    label,
    " ",
    h(
      "select",
      { id, onchange: (event) => onchange(event.target.value) },
      options.map(([value, text]) => h("option", { value, selected: value === chosen }, text)),
    ),
  );
}
