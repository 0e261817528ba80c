// Charts with the vendored Apache ECharts, loaded on first use (a megabyte the sign-in page
// does not need). SVG rendering: sharp on screen and on paper.

import { language } from "./i18n.js";
import { loadVendored } from "./vendored.js";

/** The `echarts` namespace (its script loaded on first use). */
export function loadECharts() {
  return loadVendored("echarts", "echarts");
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
