/* newswire error codes: one enum for the whole library and every daemon. */
#ifndef NEWSWIRE_ERROR_H
#define NEWSWIRE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum nw_err {
	NW_OK = 0,
	NW_ENOMEM,       /* allocation failed */
	NW_EINVAL,       /* invalid argument */
	NW_EIO,          /* read/write failed (see errno) */
	NW_ETOOBIG,      /* input over a size limit */
	NW_EEMPTY,       /* input is empty */
	NW_EENCODING,    /* input is not valid UTF-8 */
	NW_ENOTITLE,     /* article has no title */
	NW_ESYNTAX,      /* malformed input (JSON, XML, config, ...) */
	NW_ETRUNCATED,   /* message ends before its declared length */
	NW_ETYPE,        /* field has the wrong type */
	NW_EVERSION,     /* unknown protocol version */
	NW_ELIMIT,       /* a decoder limit (depth, length, count) was hit */
	NW_EMISSING,     /* a required field is missing */
	NW_EFORMAT,      /* unsupported input format */
	NW_ECONFIG,      /* bad configuration */
	NW_ENOTFOUND,    /* no such record */
	NW_ESTATE,       /* operation not valid in this state */
	NW_ETIMEOUT,     /* no answer in time */
	NW_EREJECTED,    /* the server refused the request (see its reason) */
	NW_ECHECKPOINT,  /* a subscriber checkpoint could not be loaded or saved */
};

/* Static, human-readable text for an error code; never NULL. */
const char *nw_strerror(enum nw_err err);

#ifdef __cplusplus
}
#endif
#endif
