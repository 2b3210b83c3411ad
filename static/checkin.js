// The organizer's check-in page: fetch the QR code again every few seconds and swap it in
// place. The page itself is never reloaded, so focus, scrolling and zoom stay as they are.
(() => {
  const figure = document.querySelector("[data-refresh-url]");
  if (!figure) return;
  const seconds = Number(figure.dataset.refreshSeconds || 20);
  const refresh = async () => {
    try {
      const response = await fetch(figure.dataset.refreshUrl, { credentials: "same-origin" });
      if (response.ok) {
        const svg = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
        figure.replaceChildren(document.importNode(svg.documentElement, true));
      }
    } catch (error) {
      // Offline for a moment: keep the code shown, try again next time.
    }
  };
  setInterval(refresh, seconds * 1000);
})();
