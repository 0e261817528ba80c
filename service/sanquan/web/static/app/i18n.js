// Labels in Chinese by default and in English by the reader's choice (kept in localStorage),
// and times as the commission reads them: in Beijing time, whatever the computer's zone.

const STORED = "sanquan.language";
const LANGUAGES = ["zh", "en"];
export const TIME_ZONE = "Asia/Shanghai";

const catalogue = { zh: {}, en: {} };
const listeners = [];

/** Add labels: `{ zh: { key: "…" }, en: { key: "…" } }`. A page module adds its own. */
export function messages(more) {
  for (const language of LANGUAGES) Object.assign(catalogue[language], more[language]);
}

export function language() {
  const chosen = localStorage.getItem(STORED);
  return LANGUAGES.includes(chosen) ? chosen : "zh";
}

export function setLanguage(chosen) {
  localStorage.setItem(STORED, chosen);
  document.documentElement.lang = chosen === "zh" ? "zh-CN" : "en";
  for (const listener of listeners) listener(chosen);
}

/** Call `listener(language)` after every switch of language. */
export function onLanguage(listener) {
  listeners.push(listener);
}

/** The label `key` in the current language, `{name}` replaced from `values`. */
export function t(key, values = {}) {
  const text = catalogue[language()][key] ?? catalogue.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

/** Label every element of `root` that names its label: `<span data-i18n="key">`. */
export function translate(root) {
  document.documentElement.lang = language() === "zh" ? "zh-CN" : "en";
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
}

function partsInBeijing(value, fields) {
  const date = value instanceof Date ? value : new Date(value);
  const format = new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, hourCycle: "h23", ...fields });
  return Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
}

/** `2026-03-01` for a date or instant, in Beijing. */
export function formatDate(value) {
  const p = partsInBeijing(value, { year: "numeric", month: "2-digit", day: "2-digit" });
  return `${p.year}-${p.month}-${p.day}`;
}

/** `2026-03-01 14:05` for an instant, in Beijing. */
export function formatDateTime(value) {
  const p = partsInBeijing(value, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** A number as the reader's language writes it, with `digits` decimals. */
export function formatNumber(value, digits = 1) {
  const locale = language() === "zh" ? "zh-CN" : "en-GB";
  return new Intl.NumberFormat(locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

messages({
  zh: {
    "app.title": "三全育人督导评估",
    "app.subtitle": "北京市委教育工委",
    "app.noscript": "本页需要启用 JavaScript。",
    "language.other": "English",
    "signIn.heading": "登录",
    "signIn.explain": "请输入市委教育工委发放的访问令牌。令牌只保存在本浏览器标签页中,关闭标签页即失效。",
    "signIn.token": "访问令牌",
    "signIn.submit": "登录",
    "signIn.empty": "请输入访问令牌。",
    "signIn.checking": "正在验证令牌……",
    "signIn.refused": "令牌无效、已过期或已被吊销,请向市委教育工委索取新的令牌。",
    "signIn.expired": "登录已失效,请重新登录。",
    "signOut": "退出登录",
    "signOut.done": "已退出登录。",
    "viewer.label": "当前用户",
    "viewer.since": "登录时间(北京时间)",
    "error.network": "无法连接服务,请检查网络后重试。",
    "error.failed": "加载失败:{message}",
    "error.notFound": "没有这个页面。",
    "loading": "加载中……",
    "role": "角色",
    "role.ADMIN": "市委教育工委工作人员",
    "role.INSTITUTION": "高校联络人",
    "role.EXPERT": "专家",
    "role.UNIT": "责任单位",
    "role.VIEWER": "只读用户",
    "time.zone": "时间均为北京时间",
  },
  en: {
    "app.title": "Sanquan Yuren Reviews",
    "app.subtitle": "Beijing Municipal Education Work Committee",
    "app.noscript": "This page needs JavaScript.",
    "language.other": "中文",
    "signIn.heading": "Sign in",
    "signIn.explain":
      "Enter the access token the commission gave you. It is kept in this browser tab only and is forgotten when the tab closes.",
    "signIn.token": "Access token",
    "signIn.submit": "Sign in",
    "signIn.empty": "Enter your access token.",
    "signIn.checking": "Checking the token…",
    "signIn.refused": "The token is not valid, has expired or was revoked. Ask the commission for a new one.",
    "signIn.expired": "Your sign-in has expired; please sign in again.",
    "signOut": "Sign out",
    "signOut.done": "You have signed out.",
    "viewer.label": "Signed in as",
    "viewer.since": "Signed in at (Beijing time)",
    "error.network": "The service cannot be reached; check the network and try again.",
    "error.failed": "Could not load: {message}",
    "error.notFound": "There is no such page.",
    "loading": "Loading…",
    "role": "Role",
    "role.ADMIN": "Commission staff",
    "role.INSTITUTION": "School liaison",
    "role.EXPERT": "Expert",
    "role.UNIT": "Responsible unit",
    "role.VIEWER": "Viewer",
    "time.zone": "All times are Beijing time",
  },
});
