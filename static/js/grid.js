// The progression grid: one digit per cell, focus moves down each rater's
// column, so a full round of 39 scores is 39 keystrokes and Enter.
document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector(".score-grid");
  if (!table) return;
  const threshold = Number(table.dataset.threshold || 2);
  // A column the citizen or provider entered themselves is shown, not typed into.
  const cells = Array.from(table.querySelectorAll("input.score-cell:not(:disabled)"))
    .sort((a, b) => Number(a.dataset.order) - Number(b.dataset.order));
  const position = (cell) => cells.indexOf(cell);
  const focusAt = (index) => {
    const target = cells[Math.max(0, Math.min(cells.length - 1, index))];
    target.focus();
    target.select();
  };

  const refreshRow = (row) => {
    const values = Array.from(row.querySelectorAll("input.score-cell"))
      .map((input) => Number(input.value))
      .filter((value) => value >= 1 && value <= 5);
    const spread = values.length >= 2 ? Math.max(...values) - Math.min(...values) : null;
    const divergent = spread !== null && spread >= threshold;
    row.classList.toggle("divergent", divergent);
    const out = row.querySelector(".spread");
    if (divergent) {
      const badge = document.createElement("span");
      badge.className = "badge text-bg-warning";
      badge.textContent = `${table.dataset.differLabel || "Δ"} ${spread}`;
      out.replaceChildren(badge);
    } else {
      out.textContent = spread === null ? "" : String(spread);
    }
  };

  cells.forEach((cell) => {
    cell.addEventListener("keydown", (event) => {
      const here = position(cell);
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (/^[1-5]$/.test(event.key)) {
        event.preventDefault();
        cell.value = event.key;
        refreshRow(cell.closest("tr"));
        if (here < cells.length - 1) focusAt(here + 1);
      } else if (event.key === "0" || event.key === "-" || event.key === " ") {
        event.preventDefault();
        cell.value = "";
        refreshRow(cell.closest("tr"));
        if (here < cells.length - 1) focusAt(here + 1);
      } else if (event.key === "Backspace") {
        event.preventDefault();
        if (cell.value === "" && here > 0) {
          focusAt(here - 1);
          cells[here - 1].value = "";
          refreshRow(cells[here - 1].closest("tr"));
        } else {
          cell.value = "";
          refreshRow(cell.closest("tr"));
        }
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        focusAt(here + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        focusAt(here - 1);
      } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        const step = (event.key === "ArrowRight") === (document.dir !== "rtl") ? 13 : -13;
        focusAt(here + step);
      } else if (/^[6-9a-zA-Z]$/.test(event.key)) {
        event.preventDefault();  // only 1–5 are scores
      }
    });
  });

  // Tests (and impatient hands) can tell when the keys are handled here.
  table.dataset.ready = "true";

  // A second click on submit while the first is on its way sends nothing more;
  // the server also ignores a repeated submission of the same form.
  const form = document.getElementById("round-form");
  form.addEventListener("submit", () => {
    setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }), 0);
  });
});
