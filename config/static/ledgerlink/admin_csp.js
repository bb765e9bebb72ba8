// What django-unfold's scripts need to run under the Content-Security-Policy (README "Security").
// Loaded in the page head after htmx and before Alpine starts (Alpine is deferred).

// htmx adds an inline <style> for its loading indicators, which the policy refuses; unfold styles them itself.
if (window.htmx) {
  window.htmx.config.includeIndicatorStyles = false;
}

// The admin runs Alpine's CSP build (config/static/unfold/js/alpine/alpine.js), which reads no global
// variables: unfold's components are global functions in its app.js (x-data="theme()" …), so they are
// registered with Alpine by name.
// The page's own expressions may read window.location (the change form keeps its tab in the URL): they get a
// copy of it through the page-wide component (x-data="theme()" on <html>), since the real window is out of reach.
document.addEventListener("alpine:init", () => {
  for (const name of ["searchForm", "searchDropdown", "searchCommand"]) {
    if (typeof window[name] === "function") {
      window.Alpine.data(name, window[name]);
    }
  }
  const page = {location: {pathname: window.location.pathname, search: window.location.search, hash: window.location.hash}};
  window.Alpine.data("theme", (...args) => Object.assign(window.theme(...args), {window: page}));
});
