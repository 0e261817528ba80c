// What the data pages share: the domain's words (statuses, sources, kinds) in both
// languages, quarters, links between pages, numbers as shown, and export buttons.

import { createExportLink, download } from "./api.js";
import { h, notice } from "./dom.js";
import { formatDate, formatNumber, messages, t } from "./i18n.js";

messages({
  zh: {
    "session.DRAFT": "计划中",
    "session.OPEN": "进行中",
    "session.CONCLUDED": "已结束",
    "item.OPEN": "待整改",
    "item.IN_PROGRESS": "整改中",
    "item.DONE": "已整改待核验",
    "item.VERIFIED": "已核验",
    "item.overdue": "逾期",
    "kind.HIGHLIGHT": "亮点",
    "kind.RECTIFICATION": "整改事项",
    "source.SELF": "学校自评",
    "source.PEER": "同行互评",
    "source.EXPERT": "专家点评",
    "progress.ON_TRACK": "按计划推进",
    "progress.BEHIND": "进度滞后",
    "progress.DONE": "已完成",
    "progress.none": "未报告",
    "word.quarter": "季度",
    "word.session": "点评工作会",
    "word.status": "状态",
    "word.institution": "高校",
    "word.institutions": "参评高校",
    "word.all": "全部",
    "word.search": "搜索",
    "word.none": "无",
    "word.previous": "上一页",
    "word.next": "下一页",
    "word.pageOf": "共 {count} 条",
    forbidden: "您的角色无权查看{what}。",
    "export.XLSX": "Excel",
    "export.CSV": "CSV",
    "export.preparing": "正在生成文件……",
    "export.done": "已下载 {file}({rows} 行)。",
    "export.failed": "无法导出:{message}",
  },
  en: {
    "session.DRAFT": "Planned",
    "session.OPEN": "Open",
    "session.CONCLUDED": "Concluded",
    "item.OPEN": "Open",
    "item.IN_PROGRESS": "In progress",
    "item.DONE": "Done, awaiting verification",
    "item.VERIFIED": "Verified",
    "item.overdue": "Overdue",
    "kind.HIGHLIGHT": "Highlight",
    "kind.RECTIFICATION": "Rectification item",
    "source.SELF": "Self-evaluation",
    "source.PEER": "Peer evaluation",
    "source.EXPERT": "Expert review",
    "progress.ON_TRACK": "On track",
    "progress.BEHIND": "Behind",
    "progress.DONE": "Done",
    "progress.none": "Not reported",
    "word.quarter": "Quarter",
    "word.session": "Review session",
    "word.status": "Status",
    "word.institution": "Institution",
    "word.institutions": "Institutions",
    "word.all": "All",
    "word.search": "Search",
    "word.none": "None",
    "word.previous": "Previous",
    "word.next": "Next",
    "word.pageOf": "{count} in all",
    forbidden: "Your role may not read {what}.",
    "export.XLSX": "Excel",
    "export.CSV": "CSV",
    "export.preparing": "Preparing the file…",
    "export.done": "Downloaded {file} ({rows} rows).",
    "export.failed": "Could not export: {message}",
  },
});

/** This quarter in Beijing, `2026Q4`: what the service calls the current quarter. */
export function currentQuarter() {
  const [year, month] = formatDate(new Date()).split("-").map(Number);
  return `${year}Q${Math.ceil(month / 3)}`;
}

/** `quarter` moved by `count` quarters (negative: back). */
export function shiftQuarter(quarter, count) {
  const [year, number] = quarter.split("Q").map(Number);
  const index = year * 4 + (number - 1) + count;
  return `${Math.floor(index / 4)}Q${(index % 4) + 1}`;
}

/** A status written out, its colour only a second cue: `badge("session", "OPEN")`. */
export function badge(family, value) {
  return h("span", { class: `badge ${family}-${value.toLowerCase()}` }, t(`${family}.${value}`));
}

export function institutionLink(institution) {
  return h("a", { href: `#/institutions/${encodeURIComponent(institution.code)}` }, institution.name);
}

export function sessionLink(session, text = session.title || session.quarter) {
  return h("a", { href: `#/sessions/${encodeURIComponent(session.id)}` }, text);
}

/** A score as the pages show it: one decimal, "—" when there is none. */
export function score(value, digits = 1) {
  return value === null || value === undefined ? "—" : formatNumber(value, digits);
}

/** What a role may not read, said instead of the part it would fill (`what` a label key). */
export function forbiddenNotice(what) {
  return notice(t("forbidden", { what: t(what) }));
}

/** Every node of a connection, page after page: `fetchPage(after)` answers the connection. */
export async function allNodes(fetchPage) {
  const nodes = [];
  let after = null;
  for (;;) {
    const connection = await fetchPage(after);
    if (!connection) return null; // a connection the reader may not read
    nodes.push(...connection.nodes);
    if (!connection.pageInfo.hasNextPage) return nodes;
    after = connection.pageInfo.endCursor;
  }
}

/** Buttons that download an export as Excel or CSV: the link is asked for when a button is
 * pressed (it lasts 15 minutes, and a page may stay open longer), then fetched with the
 * reader's token. `input` is `createExportLink`'s input without its format. */
export function exportButtons(label, input) {
  const status = h("span", { class: "export-status", role: "status" });
  const press = async (format) => {
    status.textContent = t("export.preparing");
    try {
      const link = await createExportLink({ ...input, format });
      await download(link.url, link.fileName);
      status.textContent = t("export.done", { file: link.fileName, rows: link.rows });
    } catch (error) {
      status.textContent = t("export.failed", { message: error.message });
    }
  };
  return h(
    "div",
    { class: "export no-print", dataset: { kind: input.kind } },
    h("span", { class: "export-label" }, label),
    ["XLSX", "CSV"].map((format) =>
      h(
        "button",
        { type: "button", dataset: { format }, onclick: () => press(format) },
        t(`export.${format}`),
      ),
    ),
    status,
  );
}

/** Buttons to the page before and after a connection's page, and its total: `turn(page)`
 * gets the arguments that ask for that page (`{ first, after }` or `{ last, before }`). */
export function pager(connection, size, turn, countId) {
  const { pageInfo, totalCount } = connection;
  const button = (label, enabled, page) =>
    h("button", { type: "button", disabled: !enabled, onclick: () => turn(page) }, t(label));
  return h(
    "p",
    { class: "pager no-print" },
    button("word.previous", pageInfo.hasPreviousPage, { last: size, before: pageInfo.startCursor }),
    h("span", { id: countId }, t("word.pageOf", { count: totalCount })),
    button("word.next", pageInfo.hasNextPage, { first: size, after: pageInfo.endCursor }),
  );
}

/** A rectification item's status, and 逾期 when it is overdue. */
export function itemStatus(item) {
  if (!item.status) return "—";
  return [
    badge("item", item.status),
    item.overdue ? [" ", h("span", { class: "mark itemsOverdue" }, t("item.overdue"))] : null,
  ];
}
