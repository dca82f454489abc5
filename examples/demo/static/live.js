// The index page's live section: to-do changes over Server-Sent Events, a chat room over WebSocket.
"use strict";

function show(listId, text) {
  const list = document.getElementById(listId);
  const quiet = list.querySelector(".quiet");
  if (quiet) quiet.remove();
  const item = document.createElement("li");
  item.textContent = text;  // never innerHTML: the text comes from other people
  list.prepend(item);
}

const events = new EventSource("/live/events");
for (const kind of ["todo.created", "todo.updated", "todo.deleted"]) {
  events.addEventListener(kind, (event) => {
    const todo = JSON.parse(event.data);
    show("events", `${kind}: #${todo.id} "${todo.title}"${todo.done ? " (done)" : ""}`);
  });
}

const name = "guest-" + Math.random().toString(36).slice(2, 6);
const scheme = location.protocol === "https:" ? "wss:" : "ws:";
let socket;

function connect() {
  socket = new WebSocket(`${scheme}//${location.host}/live/rooms/lobby?name=${name}`);
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    show("messages", `${message.from}: ${message.text}`);
  });
  socket.addEventListener("close", () => setTimeout(connect, 2000));
}
connect();

document.getElementById("chat").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = event.target.elements.text;
  if (input.value && socket.readyState === WebSocket.OPEN) socket.send(input.value);
  input.value = "";
});
