// How the POS page prints amounts and times: exactly as the server's pos/formatting.py
// (Babel) does, from the symbols, labels and time zone it renders into the JSON block
// #pos-format. Amounts are the API's decimal strings and are never rounded; times are on
// the venue's clock (the tenant's time zone), whatever the terminal's zone is.
// A classic script (not a module): window.posFormat exists before pos.js runs.
(function () {
  "use strict";

  const cfg = JSON.parse(document.getElementById("pos-format").textContent);
  const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?$/;

  // A decimal string as the API sends it ("5220.00"); a JS number (the page's own
  // price × quantity sums) has float noise below the cent, so it is taken to 2 decimals.
  function decimalText(amount) {
    if (typeof amount === "number") return amount.toFixed(2);
    const text = String(amount).trim();
    return DECIMAL_RE.test(text) && /\d/.test(text) ? text : Number(text).toFixed(2);
  }

  function group(digits) {
    const size = cfg.groupSize;
    const groups = [];
    for (let end = digits.length; end > 0; end -= size) {
      groups.unshift(digits.slice(Math.max(0, end - size), end));
    }
    return groups.join(cfg.group);
  }

  // "5220.00" -> "5.220,00" (es) / "5,220.00" (en): at least 2 decimals, every further
  // digit kept (Babel's decimal_quantization=False).
  function number(amount) {
    const match = DECIMAL_RE.exec(decimalText(amount));
    if (!match) return "—"; // not an amount (NaN): shown as no value, like the page's dashes
    const [, sign, whole, fraction] = match;
    const integer = (whole || "0").replace(/^0+(?=\d)/, "");
    const decimals = (fraction || "").replace(/0+$/, "").padEnd(2, "0");
    return `${sign === "-" ? cfg.minus : ""}${group(integer)}${cfg.decimal}${decimals}`;
  }

  function currencyLabel(currency) {
    return cfg.currencyLabels[currency] ?? currency;
  }

  function money(amount, currency) {
    return `${currencyLabel(currency)} ${number(amount)}`;
  }

  // The instant's calendar fields on the venue's clock, in Latin digits.
  const fields = new Intl.DateTimeFormat("en-US", {
    timeZone: cfg.timeZone, year: "numeric", month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  function venueParts(iso) {
    const parts = {};
    for (const part of fields.formatToParts(new Date(iso))) parts[part.type] = part.value;
    return parts;
  }

  // pos/formatting.py's DATETIME_PATTERN "d MMM y, HH:mm", with Babel's month words.
  function dateTime(iso) {
    const p = venueParts(iso);
    return `${Number(p.day)} ${cfg.months[Number(p.month) - 1]} ${p.year}, ${p.hour}:${p.minute}`;
  }

  // TIME_PATTERN "HH:mm".
  function time(iso) {
    const p = venueParts(iso);
    return `${p.hour}:${p.minute}`;
  }

  window.posFormat = Object.freeze({
    money, number, currencyLabel, dateTime, time,
    timeZone: cfg.timeZone, locale: cfg.locale,
  });
})();
