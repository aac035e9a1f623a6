// Reading an amount typed at the till. Cashiers type what they see on invoices and
// phones: "5.800,00" (Venezuelan), "5800.00", "5800,00", "5800". Anything that could be
// read two ways, or not at all, is an error the page shows; never a silent guess.
//
// parseAmount(text) -> { value: "5800.00" } (a plain decimal string, 2 places, what the
// API takes) or { error: "empty" | "invalid" | "ambiguous" | "decimals" | "zero" }.

const GROUPED = /^\d{1,3}([.,]\d{3})+$/; // 5.800 or 1,234,567: thousands only

export function parseAmount(text) {
  let typed = String(text ?? "").trim();
  if (!typed) return { error: "empty" };
  // Spaces only as thousands groups ("5 800,00"); "5 80" is a typo, not 580.
  if (/\s/.test(typed)) {
    if (!/^\d{1,3}( \d{3})+([.,]\d*)?$/.test(typed)) return { error: "invalid" };
    typed = typed.replace(/ /g, "");
  }
  if (!/^[\d.,]+$/.test(typed) || !/\d/.test(typed)) return { error: "invalid" };
  const dots = (typed.match(/\./g) || []).length;
  const commas = (typed.match(/,/g) || []).length;
  let whole;
  let cents = "";
  if (dots && commas) {
    // Both: the last one is the decimal separator, the other groups thousands.
    const decimal = typed.lastIndexOf(".") > typed.lastIndexOf(",") ? "." : ",";
    const group = decimal === "." ? "," : ".";
    const at = typed.lastIndexOf(decimal);
    whole = typed.slice(0, at);
    cents = typed.slice(at + 1);
    if (typed.split(decimal).length !== 2) return { error: "invalid" };
    if (!new RegExp(`^\\d{1,3}(\\${group}\\d{3})*$`).test(whole)) return { error: "invalid" };
    whole = whole.split(group).join("");
  } else if (dots + commas > 1) {
    // One kind, several times: thousands groups ("5.800.000"), never decimals.
    if (!GROUPED.test(typed)) return { error: "invalid" };
    whole = typed.replace(/[.,]/g, "");
  } else if (dots + commas === 1) {
    const at = typed.search(/[.,]/);
    whole = typed.slice(0, at);
    cents = typed.slice(at + 1);
    if (cents.length === 3 && whole.length >= 1 && whole.length <= 3 && whole !== "0") {
      // "5.800" is 5800 in Caracas and 5,80 in Miami: ask instead of guessing. "12.345"
      // has one reading (an amount has two decimals): 12345.
      if (cents.endsWith("0")) return { error: "ambiguous" };
      whole += cents;
      cents = "";
    }
    if (!whole) whole = "0";
  } else {
    whole = typed;
  }
  if (!/^\d+$/.test(whole) || !/^\d*$/.test(cents)) return { error: "invalid" };
  if (cents.length > 2) return { error: "decimals" };
  const value = `${whole.replace(/^0+(?=\d)/, "")}.${cents.padEnd(2, "0")}`;
  if (whole.length > 12) return { error: "invalid" };
  if (Number(value) <= 0) return { error: "zero" };
  return { value };
}
