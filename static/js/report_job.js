// A report job's page follows the job without reloading: every two seconds it
// fetches itself and swaps in the new status, which its aria-live region
// announces. A meta refresh would reload the whole page, and a screen reader
// would start again from the top each time (WCAG 2.2.1, failure F41).
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("job-status");
  if (!status || status.dataset.finished === "true") return;
  const every = 2000;
  const poll = async () => {
    try {
      const response = await fetch(window.location.href, { cache: "no-store" });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.getElementById("job-status");
        if (fresh) {
          status.replaceChildren(...fresh.childNodes);
          if (fresh.dataset.finished === "true") {
            status.dataset.finished = "true";
            return;
          }
        }
      }
    } catch {
      // The server may be restarting: the next round tries again.
    }
    window.setTimeout(poll, every);
  };
  window.setTimeout(poll, every);
});
