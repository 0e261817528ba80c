// A page of the navigation that is not built yet: it says so, and what it will show.

import { h, notice } from "../dom.js";
import { messages, t } from "../i18n.js";

messages({
  zh: { "upcoming.notice": "此页面将在下一版本提供。" },
  en: { "upcoming.notice": "This page comes in the next release." },
});

/** The page `id`, titled by the label `title`, described by the label `${title}.about`. */
export function upcoming(id, title) {
  return {
    id,
    title,
    render(view) {
      view.append(h("h2", {}, t(title)), h("p", {}, t(`${title}.about`)), notice(t("upcoming.notice")));
    },
  };
}
