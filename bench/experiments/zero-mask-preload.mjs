// Experiment only (node --import): make every ws client in this process mask frames with 0000, so ws skips masking
// on both ends, without touching @kindred/transport. Stands in for the transport passing `generateMask` itself.
import WebSocket from 'ws';

const zeroMask = (mask) => mask.fill(0);
const setSocket = WebSocket.prototype.setSocket;
WebSocket.prototype.setSocket = function (socket, head, options) {
  return setSocket.call(this, socket, head, { ...options, generateMask: options?.generateMask ?? zeroMask });
};
