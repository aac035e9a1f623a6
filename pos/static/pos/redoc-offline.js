// ReDoc's bundle always shows an "API docs by Redocly" link with a logo it loads from
// cdn.redoc.ly. The docs load nothing from another origin (no CDN, a venue's network may
// have no internet, and the Content-Security-Policy would refuse it): the logo's address is
// replaced by an empty image, which ReDoc then hides (its onError).
(() => {
  const foreign = (value) => String(value).startsWith("https://cdn.redoc.ly/");
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && name === "src" && foreign(value)) value = "data:,";
    return setAttribute.call(this, name, value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) { src.set.call(this, foreign(value) ? "data:," : value); },
  });
})();
