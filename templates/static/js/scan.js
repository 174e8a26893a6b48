/* microcred verifier: scan a credential's QR code with the camera (progressive enhancement).
   Shown only where the browser has BarcodeDetector (QR codes) and getUserMedia; elsewhere the
   page keeps its photo upload, whose note says so. A code holding a verifier link
   (…/verify?url=<credential link>) or a plain credential link is checked on this verifier:
   the page goes to /verify?url=<credential link>. Anything else is ignored and scanning goes on. */
(function () {
  "use strict";
  var box = document.getElementById("scan");
  var media = navigator.mediaDevices;
  if (!box || !("BarcodeDetector" in window) || !media || !media.getUserMedia) return;

  var video = document.getElementById("scan-video");
  var view = box.querySelector(".scan-view");
  var start = document.getElementById("scan-start");
  var status = document.getElementById("scan-status");
  var stream = null;
  var timer = null;
  var detector;

  function say(key) { status.textContent = box.dataset[key] || ""; }

  // The credential link a scanned text stands for, or null when it is not one.
  function credentialLink(text) {
    var url;
    try { url = new URL(String(text).trim()); } catch (e) { return null; }
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    var nested = url.searchParams.get("url");
    if (/\/verify\/?$/.test(url.pathname) && nested) return credentialLink(nested);
    return url.href;
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    view.hidden = true;
    start.hidden = false;
  }

  function look() {
    if (!stream) return;
    detector.detect(video).then(function (codes) {
      for (var i = 0; i < codes.length; i++) {
        var link = credentialLink(codes[i].rawValue);
        if (link) {
          say("opening");
          stop();
          window.location.assign(box.dataset.verify + "?url=" + encodeURIComponent(link));
          return;
        }
        say("notOurs");
      }
      timer = setTimeout(look, 250);
    }, function () { timer = setTimeout(look, 250); });
  }

  start.addEventListener("click", function () {
    media.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (opened) {
        stream = opened;
        video.srcObject = opened;
        view.hidden = false;
        start.hidden = true;
        say("looking");
        return video.play();
      })
      .then(look, function () { stop(); say("noCamera"); });
  });
  document.getElementById("scan-stop").addEventListener("click", function () {
    stop();
    status.textContent = "";
    start.focus();
  });
  window.addEventListener("pagehide", stop);

  function enable() {
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { return; }
    box.hidden = false;
    var note = document.getElementById("scan-fallback");
    note.hidden = true;
    document.getElementById("qr").removeAttribute("aria-describedby");
  }
  var formats = window.BarcodeDetector.getSupportedFormats;
  if (typeof formats !== "function") { enable(); return; }
  formats.call(window.BarcodeDetector).then(function (supported) {
    if (supported.indexOf("qr_code") !== -1) enable();
  }, function () {});
})();
