// Wall screens (/embed/…?screen=1) reload themselves now and then to show new meetups.
// A reload, not a meta refresh: nobody interacts with these screens, and a page loaded
// in a browser tab is left alone until the reload time.
(() => {
  const seconds = Number(document.body.dataset.reloadSeconds || 0);
  if (seconds > 0) {
    setTimeout(() => window.location.reload(), seconds * 1000);
  }
})();
