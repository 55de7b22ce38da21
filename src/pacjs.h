#ifndef POSTERN_PACJS_H
#define POSTERN_PACJS_H

/*
 * The PAC functions written in JavaScript, evaluated before the PAC; the
 * ones that need the system (dnsResolve, myIpAddress, alert, ...) and
 * those a PAC calls hundreds of times (shExpMatch) are native, in pac.c.
 */
extern const char pacjs_utils[];

#endif
