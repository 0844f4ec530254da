// Frontdesk's embed snippet: a "Talk to us" button that opens the campaign's call widget
// in a panel on the host site.
//
//   <script src="https://frontdesk.example.com/web/embed.js" defer
//           data-tenant="crumb-and-co" data-campaign="crumb-website"
//           data-label="Talk to us"></script>
//
// The widget runs in an iframe from the dispatcher's own origin, so the host page never
// sees the call's token or transcript; the iframe may use the microphone (allow=), which
// browsers ask of the visitor for the host site. The host site's origin must be in
// FRONTDESK_CORS_ORIGINS, which is also the list of sites allowed to frame the widget.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var tenant = script.dataset.tenant;
  var campaign = script.dataset.campaign;
  if (!tenant || !campaign) {
    console.error("frontdesk embed: data-tenant and data-campaign are required on the <script> tag");
    return;
  }
  var base = new URL(script.src).origin;
  var label = script.dataset.label || "Talk to us";
  var src = base + "/w/" + encodeURIComponent(tenant) + "/" + encodeURIComponent(campaign) + "?embed=1";

  var host = document.createElement("div");
  host.setAttribute("data-frontdesk-widget", tenant + "/" + campaign);
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent =
    ":host{all:initial}" +
    ".launcher{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;font:600 1rem system-ui,sans-serif;" +
    "min-height:3rem;padding:.7rem 1.3rem;border:0;border-radius:999px;background:#0a6b3d;color:#fff;" +
    "box-shadow:0 2px 8px rgba(0,0,0,.25);cursor:pointer}" +
    ".launcher:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}" +
    ".panel{position:fixed;right:1rem;bottom:4.75rem;z-index:2147483000;width:min(24rem,calc(100vw - 2rem));" +
    "height:min(36rem,calc(100vh - 6rem));border:0;border-radius:1rem;background:#fff;" +
    "box-shadow:0 4px 24px rgba(0,0,0,.3)}" +
    ".panel[hidden]{display:none}";
  var button = document.createElement("button");
  button.type = "button";
  button.className = "launcher";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  var frame = null;

  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.className = "panel";
      frame.title = label;
      frame.src = src;
      frame.allow = "microphone; autoplay";
      root.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    var open = !frame.hidden;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Close" : label;
  });

  root.append(style, button);
  (document.body || document.documentElement).appendChild(host);
})();
