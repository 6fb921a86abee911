/** Fixed XML-RPC documents for the bare node:http floor (client request, server reply). */

/** ADD_CALL_XML is `add(3, 5)` as an XML-RPC methodCall. */
export const ADD_CALL_XML =
  '<?xml version="1.0"?><methodCall><methodName>add</methodName><params>' +
  '<param><value><int>3</int></value></param><param><value><int>5</int></value></param></params></methodCall>';

/** ADD_REPLY_XML is the reply `8`. */
export const ADD_REPLY_XML =
  '<?xml version="1.0"?><methodResponse><params><param><value><int>8</int></value></param></params></methodResponse>';
