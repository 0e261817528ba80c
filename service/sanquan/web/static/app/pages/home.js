// The first page after sign-in: who is signed in, and what each page of the dashboard shows.

import { signedInAt } from "../auth.js";
import { h } from "../dom.js";
import { formatDateTime, messages, t } from "../i18n.js";

messages({
  zh: {
    "nav.home": "首页",
    "home.heading": "欢迎",
    "home.pages": "本站页面",
    "home.institution": "所属高校",
  },
  en: {
    "nav.home": "Home",
    "home.heading": "Welcome",
    "home.pages": "Pages",
    "home.institution": "Institution",
  },
});

export default {
  id: "",
  title: "nav.home",
  render(view, { viewer, pages }) {
    const since = signedInAt();
    const facts = [
      [t("viewer.label"), viewer.name],
      [t("role"), t(`role.${viewer.role}`)],
      viewer.institution ? [t("home.institution"), viewer.institution.name] : null,
      since
        ? [t("viewer.since"), h("time", { datetime: since, id: "signed-in-at" }, formatDateTime(since))]
        : null,
    ].filter(Boolean);
    view.append(
      h("h2", {}, t("home.heading")),
      h("dl", { class: "facts" }, facts.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
      h("h3", {}, t("home.pages")),
      h(
        "ul",
        { class: "page-list" },
        pages
          .filter((page) => page.id)
          .map((page) =>
            h("li", {}, h("a", { href: `#/${page.id}` }, t(page.title)), " — ", t(`${page.title}.about`)),
          ),
      ),
    );
  },
};
