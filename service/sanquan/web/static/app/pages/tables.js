// The responsibility tables (责任清单, "一张表"): a plan's tasks × responsible units, lead
// first, with a quarter's progress or 未报告, filterable by unit.
// `#/tables/<plan key>/<quarter>/<unit name>`, each part optional. A unit's account opens on
// its own unit's tasks (what it reports on); an empty unit part (`…/<quarter>/`) is all units.

import { choice, h, notice } from "../dom.js";
import { formatDateTime, messages, t } from "../i18n.js";
import { badge, currentQuarter, exportButtons, shiftQuarter } from "../domain.js";

messages({
  zh: {
    "tables.plan": "方案",
    "tables.unit": "责任单位",
    "tables.allUnits": "全部责任单位",
    "tables.ownUnit": "{unit}(本单位)",
    "tables.task": "任务",
    "tables.progress": "{quarter} 进展",
    "tables.lead": "牵头",
    "tables.summary":
      "{quarter}:{tasks} 项任务,{assignments} 项责任分工,已报告 {reported} 项,未报告 {unreported} 项;没有任何单位报告的任务 {silent} 项。",
    "tables.reportedAt": "报告于 {time}",
    "tables.export": "责任分工表",
    "tables.exportUnit": "{unit} 的任务",
    "tables.noPlan": "没有这个方案。",
  },
  en: {
    "tables.plan": "Plan",
    "tables.unit": "Responsible unit",
    "tables.allUnits": "All units",
    "tables.ownUnit": "{unit} (your unit)",
    "tables.task": "Task",
    "tables.progress": "Progress {quarter}",
    "tables.lead": "lead",
    "tables.summary":
      "{quarter}: {tasks} tasks, {assignments} unit assignments, {reported} reported, {unreported} not reported; {silent} tasks with no report from any unit.",
    "tables.reportedAt": "reported {time}",
    "tables.export": "Responsibility table",
    "tables.exportUnit": "{unit}'s tasks",
    "tables.noPlan": "There is no such plan.",
  },
});

const BACK = 4; // quarters back that units may still report on, and the page shows

const TABLES = `query Tables($quarter: Quarter!) {
  plans {
    key title document owner
    tasks {
      id number title section
      assignments { lead unit { id name fullName } }
      progress(quarter: $quarter) { unit { id } status text reportedAt }
    }
    tasksWithoutReport(quarter: $quarter) { number }
  }
}`;

/** Show the table of `plan` for `quarter` and `unit` ("" all units; left out, the reader's
 * own unit if it has one in the plan). */
function go(plan, quarter, unit) {
  const parts = unit === undefined ? [plan, quarter] : [plan, quarter, unit];
  window.location.hash = `#/tables/${parts.map((part) => encodeURIComponent(part)).join("/")}`;
}

/** The name of the reader's own unit as the plan lists it, if the reader is a unit with
 * tasks in it. */
function ownUnit(plan, viewer) {
  if (!viewer.unit) return null;
  const assignments = plan.tasks.flatMap((task) => task.assignments);
  return assignments.find((a) => a.unit.id === viewer.unit.id)?.unit.name ?? null;
}

function progressCell(report) {
  if (!report) return h("td", { class: "unreported" }, badge("progress", "none"));
  return h(
    "td",
    {},
    badge("progress", report.status),
    " ",
    report.text,
    h("br"),
    h("small", { class: "muted" }, t("tables.reportedAt", { time: formatDateTime(report.reportedAt) })),
  );
}

// Rows by hand, not dom.js's `table`: a task's cell spans its units' rows.
function planTable(tasks, quarter, unit) {
  const rows = [];
  for (const task of tasks) {
    const assignments = task.assignments.filter((a) => !unit || a.unit.name === unit);
    assignments.forEach((assignment, index) => {
      const report = task.progress.find((p) => p.unit.id === assignment.unit.id);
      rows.push(
        h(
          "tr",
          { dataset: { task: task.number, unit: assignment.unit.name, reported: String(Boolean(report)) } },
          index === 0
            ? h("th", { scope: "row", rowspan: assignments.length }, `${task.number}. ${task.title}`)
            : null,
          h(
            "td",
            { title: assignment.unit.fullName },
            assignment.unit.name,
            assignment.lead ? [" ", h("span", { class: "badge lead" }, t("tables.lead"))] : null,
          ),
          progressCell(report),
        ),
      );
    });
  }
  return h(
    "table",
    { class: "data responsibility" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        [t("tables.task"), t("tables.unit"), t("tables.progress", { quarter })].map((label) =>
          h("th", { scope: "col" }, label),
        ),
      ),
    ),
    h("tbody", {}, rows),
  );
}

export default {
  id: "tables",
  title: "nav.tables",
  async render(view, { query, params, viewer }) {
    const now = currentQuarter();
    const quarters = [];
    for (let back = 0; back <= BACK; back++) quarters.push(shiftQuarter(now, -back));
    const quarter = quarters.includes(params[1]) ? params[1] : now;
    const { plans } = await query(TABLES, { quarter });
    const plan = params[0] ? plans.find((p) => p.key === params[0]) : plans[0];
    if (!plan) {
      view.append(h("h2", {}, t("nav.tables")), notice(t("tables.noPlan"), "error"));
      return;
    }
    const units = [];
    for (const task of plan.tasks) {
      for (const { unit } of task.assignments) if (!units.includes(unit.name)) units.push(unit.name);
    }
    const own = ownUnit(plan, viewer);
    const asked = params[2] === undefined ? (own ?? "") : params[2];
    const unit = units.includes(asked) ? asked : "";
    const shown = plan.tasks.filter((task) => !unit || task.assignments.some((a) => a.unit.name === unit));
    const assignments = shown.flatMap((task) =>
      task.assignments
        .filter((a) => !unit || a.unit.name === unit)
        .map((a) => task.progress.some((p) => p.unit.id === a.unit.id)),
    );
    const silent = new Set(plan.tasksWithoutReport.map((task) => task.number));
    const reported = assignments.filter(Boolean).length;

    view.append(
      h("h2", {}, t("nav.tables")),
      h(
        "form",
        { class: "controls-row no-print", onsubmit: (event) => event.preventDefault() },
        choice(
          "plan",
          t("tables.plan"),
          plans.map((p) => [p.key, `${p.title}(${p.document})`]),
          plan.key,
          (key) => go(key, quarter),
        ),
        choice(
          "quarter",
          t("word.quarter"),
          quarters.map((q) => [q, q]),
          quarter,
          (q) => go(plan.key, q, unit),
        ),
        choice(
          "unit",
          t("tables.unit"),
          [
            ["", t("tables.allUnits")],
            ...units.map((name) => [name, name === own ? t("tables.ownUnit", { unit: name }) : name]),
          ],
          unit,
          (name) => go(plan.key, quarter, name),
        ),
      ),
      h("h3", {}, plan.title, " ", h("span", { class: "muted" }, plan.document)),
      h(
        "p",
        { id: "tables-summary" },
        t("tables.summary", {
          quarter,
          tasks: shown.length,
          assignments: assignments.length,
          reported,
          unreported: assignments.length - reported,
          silent: shown.filter((task) => silent.has(task.number)).length,
        }),
      ),
      exportButtons(t("tables.export"), { kind: "PLAN_TABLE", plan: plan.key, quarter }),
      unit
        ? exportButtons(t("tables.exportUnit", { unit }), {
            kind: "UNIT_TABLE",
            unit,
            unitOwner: plan.owner,
            quarter,
          })
        : h("span"),
      planTable(shown, quarter, unit),
    );
  },
};
