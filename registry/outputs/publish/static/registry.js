// Accessible names for the controls of datasette's table pages, which its templates leave unlabelled
// (axe: label, select-name), and keyboard focus for the scrolling column list (scrollable-region-focusable).
// Loaded as a module (deferred, from the site's own static folder: no inline script).
const names = {
  'select[name="_filter_column"]': "Filter on column",
  'select[name="_filter_op"]': "Filter operation",
  'input.filter-value': "Filter value",
  'select[name="_sort"]': "Sort by column",
  'select[name="_facet"]': "Facet on column",
};
for (const [selector, label] of Object.entries(names)) {
  document.querySelectorAll(selector).forEach((el) => {
    if (!el.labels || el.labels.length === 0) el.setAttribute("aria-label", label);
  });
}
document.querySelectorAll("dl.column-descriptions").forEach((el) => {
  el.setAttribute("tabindex", "0");
});
