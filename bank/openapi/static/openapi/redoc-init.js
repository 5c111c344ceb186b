/* Starts Redoc on #redoc (bank/openapi/templates/openapi/redoc.html) without an inline
   script: the document's URL and the page's CSP nonce come from data attributes. Redoc's
   `nonce` option puts that nonce on every <style> element it creates. */
"use strict";
(function () {
  const element = document.getElementById("redoc");
  // No search: its index runs in a blob: Worker, which the page's CSP refuses (views.py).
  Redoc.init(element.dataset.specUrl, { nonce: element.dataset.nonce, disableSearch: true },
             element);
})();
