#ifndef FINSENT_CCURL_SHIM_H
#define FINSENT_CCURL_SHIM_H

#include <curl/curl.h>
#include <sys/prctl.h>

// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are C variadic
// macros/functions, which Swift cannot call. Each wrapper below fixes one
// argument type so the Swift side stays type-checked; the name says which.

/// Names the calling thread (15 bytes at most) as `top -H`, gdb and /proc show it; prctl is variadic too.
static inline void CCurl_name_this_thread(const char *name) {
    prctl(PR_SET_NAME, name, 0, 0, 0);
}

/// CURLOPT_* that take a `long` (flags, timeouts, limits).
static inline CURLcode CCurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// CURLOPT_* that take a NUL-terminated string (URL, user agent, ...); libcurl copies it.
static inline CURLcode CCurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// CURLOPT_* that take an opaque pointer (WRITEDATA, HEADERDATA, PRIVATE, HTTPHEADER list).
static inline CURLcode CCurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// CURLOPT_* that take a `curl_off_t` (MAXFILESIZE_LARGE, ...).
static inline CURLcode CCurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION.
typedef size_t (*CCurl_write_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode CCurl_easy_setopt_write_callback(CURL *handle, CURLoption option, CCurl_write_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/// CURLOPT_XFERINFOFUNCTION (progress; returning non-zero aborts the transfer).
typedef int (*CCurl_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                       curl_off_t ultotal, curl_off_t ulnow);
static inline CURLcode CCurl_easy_setopt_xferinfo_callback(CURL *handle, CCurl_xferinfo_callback value) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}

/// CURLINFO_* answered with a `long` (RESPONSE_CODE, REDIRECT_COUNT, ...).
static inline CURLcode CCurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// CURLINFO_* answered with a string owned by the handle (EFFECTIVE_URL, CONTENT_TYPE, ...).
static inline CURLcode CCurl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

/// CURLINFO_* answered with a `curl_off_t` (TOTAL_TIME_T, SIZE_DOWNLOAD_T, ...).
static inline CURLcode CCurl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// CURLINFO_PRIVATE: the pointer stored with CURLOPT_PRIVATE.
static inline CURLcode CCurl_easy_getinfo_private(CURL *handle, void **value) {
    return curl_easy_getinfo(handle, CURLINFO_PRIVATE, value);
}

/// CURLMOPT_* that take a `long` (MAX_TOTAL_CONNECTIONS, MAX_HOST_CONNECTIONS, ...).
static inline CURLMcode CCurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

#endif
