// The dashboard's pages, in the navigation's order.
//
// A page is a module whose default export is
//   { id, title, render(view, context) }
// `id` is its address (`#/<id>/<params…>`; "" for the home page), `title` the label key of its
// name in the navigation (and `<title>.about` one line on what it shows). `render` fills
// `view`, an empty <section>, and may be async; it may return a clean-up function, called
// when the reader leaves the page. `context` holds:
//   query(document, variables)  the API's data (api.js), as the signed-in reader
//   read(document, variables)   the same, but a field the reader's role may not read comes
//                               back null: `{ data, forbidden }` (api.js says more)
//   params                      the address's parts after the id, decoded
//   viewer                      { id, name, role, institution { code, name } } of the reader
//   pages                       this list
// A failed query needs no handling: the page shows the error, and an expired token takes the
// reader back to sign-in. Labels come from i18n.js (`messages` to add a page's own, `t` to
// read them); tables from dom.js (`table`), charts from charts.js (`chart`).

import calendar from "./calendar.js";
import home from "./home.js";
import institutions from "./institutions.js";
import sessions from "./sessions.js";
import tables from "./tables.js";
import { messages } from "../i18n.js";

messages({
  zh: {
    "nav.calendar": "轮换日历",
    "nav.calendar.about": "三年周期内各季度的点评工作会与参评高校,按状态标注。",
    "nav.sessions": "点评工作会",
    "nav.sessions.about": "专家组、评分进度、结果排名与图表、诊断与整改问题、导出。",
    "nav.institutions": "高校",
    "nav.institutions.about": "各高校的点评历史、上次与下次点评、未完成与逾期的整改事项。",
    "nav.tables": "责任清单",
    "nav.tables.about": "各方案的任务与责任单位(牵头单位在前)及本季度进展。",
  },
  en: {
    "nav.calendar": "Rotation calendar",
    "nav.calendar.about": "The cycle's quarters, their review sessions and schools, by status.",
    "nav.sessions": "Review sessions",
    "nav.sessions.about": "Panel, scoring progress, ranked results and charts, findings, exports.",
    "nav.institutions": "Institutions",
    "nav.institutions.about": "Each school's review history, last and next review, open and overdue items.",
    "nav.tables": "Responsibility tables",
    "nav.tables.about": "Each plan's tasks and responsible units, lead first, with this quarter's progress.",
  },
});

export const pages = [
  home,
  calendar,
  sessions,
  institutions,
  tables,
];
