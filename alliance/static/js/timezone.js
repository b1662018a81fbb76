// Proposes the browser's time zone on a zone list nobody has chosen from yet
// (`data-propose-browser-zone`), so a client in Los Angeles does not start on UTC.
// Browsers may report an old alias of a zone; the list holds only current names
// (core/zones.py), so the few common aliases are mapped and anything else is left alone.
(function () {
  "use strict";
  var ALIASES = {
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Rangoon": "Asia/Yangon",
    "Europe/Kiev": "Europe/Kyiv",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Pacific/Truk": "Pacific/Chuuk",
    "Etc/UTC": "UTC",
    "Etc/GMT": "UTC"
  };

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  function propose() {
    var zone = browserZone();
    zone = ALIASES[zone] || zone;
    if (!zone) return;
    var selects = document.querySelectorAll("select[data-propose-browser-zone]");
    Array.prototype.forEach.call(selects, function (select) {
      var option = Array.prototype.find.call(select.options, function (o) {
        return o.value === zone;
      });
      if (option) select.value = zone;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", propose);
  } else {
    propose();
  }
})();
