"""More framings of the RTM API, each an `RtmConnection` run by `chatplane.api.rtm.RtmEndpoint`
(the same sessions, limits and pushes as the plain websocket at `/v3.x/<api>/rtm/ws`):

- `sockjs`: SockJS at `/v3.x/<api>/rtm/sjs` (what sockjs-client 1.x, and so LiveChat's
  `@livechat/customer-sdk` 2.0, speaks): its websocket and xhr-polling transports.
- `socketio`: socket.io at `/v3.x/<api>/rtm/sio` (Engine.IO 4 / Socket.IO 5, python-socketio).
"""
