// SMS counter for the desk's composer. Mirrors sms::segment::count on the
// server (TS 23.038 §6.2.1, TS 23.040 §9.2.3.24.1) with the gateway's
// settings: 8-bit concatenation reference, no national shift tables. Both
// are checked against tests/fixtures/sms_counter.json. Plain ES2017, no build.
(function () {
  'use strict';

  // TS 23.038 §6.2.1 default alphabet (one septet each; 0x1B, the escape, is
  // not a character) and §6.2.1.1 extension table (escape + septet: two).
  const BASIC = new Set('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà');
  const EXT = new Set('\f^{}\\[~]|€');

  // One part alone holds 160 septets or 70 UTF-16 units (140 octets); with
  // the 6-octet concatenation header (8-bit reference) 153 or 67.
  const GSM = { single: 160, multi: 153 };
  const UCS = { single: 70, multi: 67 };

  // Parts filled in order; a character that does not fit whole in what is
  // left of a part opens the next, so an escape pair or a surrogate pair
  // never straddles two. Same as greedy() / gsm7_chunks() / ucs2_chunks().
  function greedy(costs, cap) {
    let total = 0;
    for (const c of costs) total += c;
    if (total <= cap.single) return { units: total, parts: 1, perPart: cap.single, used: total };
    let parts = 1;
    let used = 0;
    for (const c of costs) {
      if (used + c > cap.multi) {
        parts += 1;
        used = 0;
      }
      used += c;
    }
    return { units: total, parts: parts, perPart: cap.multi, used: used };
  }

  // forcedBy.index counts code points (for...of steps), as Rust counts chars.
  function smsCount(text) {
    const s = text == null ? '' : String(text);
    const septets = [];
    const units = [];
    let forcedBy = null;
    let i = 0;
    for (const ch of s) {
      // A code point above U+FFFF is a surrogate pair: two UTF-16 units.
      units.push(ch.codePointAt(0) > 0xFFFF ? 2 : 1);
      if (forcedBy === null) {
        if (BASIC.has(ch)) septets.push(1);
        else if (EXT.has(ch)) septets.push(2);
        else forcedBy = { index: i, char: ch };
      }
      i += 1;
    }
    if (i === 0) {
      return { alphabet: 'gsm7', units: 0, parts: 0, perPart: GSM.single, remaining: GSM.single, forcedBy: null };
    }
    const gsm = forcedBy === null;
    const g = gsm ? greedy(septets, GSM) : greedy(units, UCS);
    return {
      alphabet: gsm ? 'gsm7' : 'ucs2',
      units: g.units,
      parts: g.parts,
      perPart: g.perPart,
      remaining: g.perPart - g.used,
      forcedBy: forcedBy
    };
  }

  // A label from the output element, so the server can localise it:
  // data-label-<key>, else the short data-<alt> name, else the English default.
  function label(out, key, alt, fallback) {
    const d = out.dataset;
    const k = 'label' + key.charAt(0).toUpperCase() + key.slice(1);
    return d[k] || d[alt] || fallback;
  }

  // Invisible characters (tab, no-break space, controls) are named by code.
  function show(ch) {
    if (/^[\s\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060\ufeff]$/u.test(ch)) {
      return 'U+' + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
    }
    return ch;
  }

  // Shows e.g. "GSM-7 · 45/160 · 1 part" or
  // "UCS-2 · 12/70 · 1 part · forced by 「あ」" in `output` on every edit.
  // The count is also on output.smsCount and in an "sms-count" event
  // (detail: the count) on the textarea, so the page can mark forcedBy.
  // Returns the update function: call it after setting textarea.value from
  // script, which fires no input event.
  function attachSmsCounter(textarea, output) {
    function update() {
      const c = smsCount(textarea.value);
      const used = c.perPart - c.remaining;
      const parts = c.parts === 1 ? label(output, 'part', 'part', 'part') : label(output, 'parts', 'parts', 'parts');
      let line = (c.alphabet === 'gsm7' ? label(output, 'gsm', 'gsm', 'GSM-7') : label(output, 'ucs', 'ucs', 'UCS-2')) +
        ' · ' + used + '/' + c.perPart + ' · ' + c.parts + ' ' + parts;
      if (c.forcedBy) line += ' · ' + label(output, 'forced', 'forced', 'forced by') + ' 「' + show(c.forcedBy.char) + '」';
      output.textContent = line;
      output.dataset.alphabet = c.alphabet;
      if (c.forcedBy) output.dataset.forcedIndex = String(c.forcedBy.index);
      else delete output.dataset.forcedIndex;
      output.smsCount = c;
      textarea.dispatchEvent(new CustomEvent('sms-count', { detail: c, bubbles: true }));
      return c;
    }
    textarea.addEventListener('input', update);
    textarea.addEventListener('change', update);
    update();
    return update;
  }

  window.smsCount = smsCount;
  window.attachSmsCounter = attachSmsCounter;
})();
