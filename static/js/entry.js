/* The entry page's file chooser: the browser's own button speaks the browser's language,
 * so the page shows its own (translated) button and the chosen file's name. */
(function () {
  "use strict";
  document.querySelectorAll(".file-choice").forEach(function (box) {
    var input = box.querySelector("input[type=file]");
    var name = box.querySelector(".file-name");
    input.addEventListener("change", function () {
      name.textContent = input.files.length ? input.files[0].name : name.dataset.none;
    });
  });
})();
