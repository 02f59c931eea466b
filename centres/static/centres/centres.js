/* The centres' pages' scripts, in a file so the Content-Security-Policy needs no inline script
 * (docs/operations.md, "Content-Security-Policy"). Each part runs only on the page that has
 * its elements:
 * - the finder's "nearest to me" button (#near-me): the phone's position into the form;
 * - the check-in page's camera button (#scan): phones whose browser reads QR codes
 *   (BarcodeDetector) scan with the camera, others type the code;
 * - forms with data-confirm="question" (cancelling a sign-up, a booking, an appointment) ask
 *   first and are not sent unless the person agrees.
 */
(function () {
  "use strict";

  var near = document.getElementById("near-me");
  if (near) {
    near.addEventListener("click", function () {
      var form = document.getElementById("finder"), err = document.getElementById("near-error");
      if (!navigator.geolocation) { err.hidden = false; return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(6);
        form.elements.lng.value = pos.coords.longitude.toFixed(6);
        form.submit();
      }, function () { err.hidden = false; }, { timeout: 10000, maximumAge: 60000 });
    });
  }

  var scan = document.getElementById("scan");
  if (scan) {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
      scan.hidden = true;
    } else {
      scan.addEventListener("click", async function () {
        var box = document.getElementById("scanner"), video = document.getElementById("camera");
        var detector = new BarcodeDetector({ formats: ["qr_code"] });
        box.hidden = false;
        video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        await video.play();
        (async function look() {
          var codes = await detector.detect(video).catch(function () { return []; });
          if (codes.length) {
            video.srcObject.getTracks().forEach(function (t) { t.stop(); });
            var form = document.getElementById("check-in-form");
            form.elements.code.value = codes[0].rawValue;
            form.submit();
          } else { requestAnimationFrame(look); }
        })();
      });
    }
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
