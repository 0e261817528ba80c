// Charts with the vendored Apache ECharts, loaded on first use (a megabyte the sign-in page
// does not need). SVG rendering: sharp on screen and on paper.

import { language } from "./i18n.js";

let loading = null;

/** The `echarts` namespace, once its script (named by the page: its address has the version)
 * has run. */
export function loadECharts() {
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = document.querySelector('meta[name="sanquan:echarts"]').content;
    script.addEventListener("load", () => resolve(window.echarts));
    script.addEventListener("error", () => {
      loading = null;
      reject(new Error("ECharts did not load"));
    });
    document.head.append(script);
  });
  return loading;
}

/** Draw `option` (an ECharts option) in `container`, labelled in the reader's language.
 * Returns a function that removes the chart: a page returns it as its clean-up. */
export async function chart(container, option) {
  const echarts = await loadECharts();
  const instance = echarts.init(container, null, {
    renderer: "svg",
    locale: language() === "zh" ? "ZH" : "EN",
  });
  instance.setOption(option);
  const resize = () => instance.resize();
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
  return () => {
    window.removeEventListener("resize", resize);
    window.removeEventListener("beforeprint", resize);
    window.removeEventListener("afterprint", resize);
    instance.dispose();
  };
}
