// The vendored libraries a page loads on first use rather than with the page (the charts'
// megabyte is not needed to sign in), each named by the page's `<meta name="sanquan:<name>">`:
// its address has the version, which the service fills in from vendor.json.

const loading = new Map();

/** The global `global` a vendored browser build defines, once its script `name` has run. */
export function loadVendored(name, global) {
  if (!loading.has(name)) {
    const loaded = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = document.querySelector(`meta[name="sanquan:${name}"]`).content;
      script.addEventListener("load", () => resolve(window[global]));
      script.addEventListener("error", () => {
        loading.delete(name); // the next page tries again
        reject(new Error(`${name} did not load`));
      });
      document.head.append(script);
    });
    loading.set(name, loaded);
  }
  return loading.get(name);
}
