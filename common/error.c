/* Text for enum nw_err. */
#include <newswire/error.h>

const char *nw_strerror(enum nw_err err)
{
	switch (err) {
	case NW_OK:         return "success";
	case NW_ENOMEM:     return "out of memory";
	case NW_EINVAL:     return "invalid argument";
	case NW_EIO:        return "input/output error";
	case NW_ETOOBIG:    return "input over the size limit";
	case NW_EEMPTY:     return "empty input";
	case NW_EENCODING:  return "not valid UTF-8";
	case NW_ENOTITLE:   return "no title";
	case NW_ESYNTAX:    return "malformed input";
	case NW_ETRUNCATED: return "truncated message";
	case NW_ETYPE:      return "field has the wrong type";
	case NW_EVERSION:   return "unknown protocol version";
	case NW_ELIMIT:     return "decoder limit exceeded";
	case NW_EMISSING:   return "required field missing";
	case NW_EFORMAT:    return "unsupported input format";
	case NW_ECONFIG:    return "bad configuration";
	case NW_ENOTFOUND:  return "not found";
	case NW_ESTATE:     return "invalid state";
	case NW_ETIMEOUT:   return "timed out";
	case NW_EREJECTED:  return "rejected by the server";
	case NW_ECHECKPOINT: return "checkpoint not loaded or saved";
	}
	return "unknown error";
}
