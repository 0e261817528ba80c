// A session's completeness (R15): who has submitted what, per source, and what still keeps
// the session from concluding. Its own module because two feeds fill it: the session page's
// query when the page opens, then the live `sessionProgress` subscription while the session
// is open (the meeting watches submissions arrive without reloading).

import { h, notice } from "../dom.js";
import { formatNumber, messages, t } from "../i18n.js";
import { follow } from "../live.js";

messages({
  zh: {
    "completeness.concluded": "本次点评已结束,评价完整。",
    "completeness.ready": "评价已完整,可以结束本次点评。",
    "completeness.draft": "本次点评尚在筹备,尚未开始评分。",
    "completeness.missing": "尚缺以下评价,暂不能结束本次点评({count} 项):",
    "completeness.counts": "已提交 {submitted} / {required} 项,草稿 {drafted} 项",
    "completeness.reviewers": "完成 {complete} / 需要 {needed}",
    "completeness.complete": "已完整",
    "completeness.incomplete": "未完整",
    "live.connecting": "正在连接实时更新…",
    "live.live": "实时更新中",
    "live.offline": "已离线,正在重新连接…",
    "live.ended": "实时更新已结束",
    "live.refused": "无法实时更新:{reason}",
  },
  en: {
    "completeness.concluded": "The session has concluded; its evaluations are complete.",
    "completeness.ready": "The evaluations are complete: the session can be concluded.",
    "completeness.draft": "The session is being set up; scoring has not begun.",
    "completeness.missing": "The session cannot conclude yet; missing ({count}):",
    "completeness.counts": "{submitted} of {required} submitted, {drafted} drafted",
    "completeness.reviewers": "{complete} complete of {needed} needed",
    "completeness.complete": "Complete",
    "completeness.incomplete": "Incomplete",
    "live.connecting": "Connecting to live updates…",
    "live.live": "Live",
    "live.offline": "Offline, reconnecting…",
    "live.ended": "Live updates ended",
    "live.refused": "No live updates: {reason}",
  },
});

/** The progress the session page can read today, from `reviewSession { status
 * missingEvaluations }` (ADMIN), in the shape of the API's `SessionProgress`, less what
 * only that carries (`institutions` and the counts). */
export function progressFromMissing({ status, missingEvaluations }) {
  return {
    status,
    missing: missingEvaluations,
    canConclude: status === "OPEN" && missingEvaluations.length === 0,
    institutions: null,
  };
}

/** Show `progress` in `element`, replacing what it showed: call it again with each new
 * progress. `progress` is shaped like the API's `SessionProgress` —
 * `{ status, canConclude, missing: [text], submitted?, drafted?, required?, institutions? }`,
 * each institution `{ institution { code, name }, complete, sources: [{ source, complete,
 * reviewersComplete, reviewersNeeded, reviewers: [{ reviewerInstitution { name },
 * reviewerExpert { name }, submitted, required, complete }] }] }` — so a live view can pass
 * each `sessionProgress` message as it comes. Without `institutions` only the summary and
 * the missing list show. */
export function renderCompleteness(element, progress) {
  const parts = [summary(progress)];
  if (progress.required !== undefined)
    parts.push(h("p", { class: "counts" }, t("completeness.counts", progress)));
  if (progress.institutions) parts.push(bySource(progress.institutions));
  if (progress.missing.length && progress.status !== "CONCLUDED") {
    parts.push(
      h(
        "ul",
        { class: "missing" },
        progress.missing.map((line) => h("li", {}, line)),
      ),
    );
  }
  element.replaceChildren(...parts);
  element.dataset.status = progress.status;
}

const PROGRESS = `subscription Progress($id: ID!) {
  sessionProgress(sessionId: $id) {
    status canConclude missing submitted drafted required
    institutions {
      institution { code name }
      complete
      sources {
        source complete reviewersComplete reviewersNeeded
        reviewers {
          reviewerInstitution { name } reviewerExpert { name }
          submitted required complete
        }
      }
    }
  }
}`;

/** Keep `element` showing session `sessionId`'s progress as the service pushes it (each
 * submission, draft and status change shows within a second or so), and `indicator` saying
 * in words whether the view is live. Returns the function that stops: the page's clean-up. */
export function followCompleteness(element, indicator, sessionId) {
  return follow(PROGRESS, { id: sessionId }, {
    onData: ({ sessionProgress }) => renderCompleteness(element, sessionProgress),
    onState: (state, reason) => {
      indicator.dataset.state = state;
      indicator.textContent = t(`live.${state}`, { reason });
    },
  });
}

function summary({ status, canConclude, missing }) {
  if (status === "CONCLUDED") return notice(t("completeness.concluded"));
  if (status === "DRAFT") return notice(t("completeness.draft"));
  if (canConclude) return notice(t("completeness.ready"));
  return h("p", { class: "summary" }, t("completeness.missing", { count: formatNumber(missing.length, 0) }));
}

function bySource(institutions) {
  const sources = [...new Set(institutions.flatMap((each) => each.sources.map((s) => s.source)))];
  return h(
    "table",
    { class: "data completeness" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, t("word.institution")),
        sources.map((s) => h("th", { scope: "col" }, t(`source.${s}`))),
      ),
    ),
    h(
      "tbody",
      {},
      institutions.map((each) =>
        h(
          "tr",
          { dataset: { code: each.institution.code } },
          h("th", { scope: "row" }, each.institution.name),
          sources.map((name) => {
            const source = each.sources.find((s) => s.source === name);
            return h("td", {}, source ? sourceCell(source) : "—");
          }),
        ),
      ),
    ),
  );
}

function sourceCell(source) {
  return [
    h(
      "p",
      {},
      h("strong", {}, t(source.complete ? "completeness.complete" : "completeness.incomplete")),
      " · ",
      t("completeness.reviewers", { complete: source.reviewersComplete, needed: source.reviewersNeeded }),
    ),
    h(
      "ul",
      { class: "reviewers" },
      source.reviewers.map((reviewer) =>
        h(
          "li",
          { class: reviewer.complete ? "complete" : "incomplete" },
          (reviewer.reviewerInstitution ?? reviewer.reviewerExpert)?.name ?? "—",
          `: ${reviewer.submitted}/${reviewer.required}`,
        ),
      ),
    ),
  ];
}
