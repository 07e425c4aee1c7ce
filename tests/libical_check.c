/* libical's own checks on an iCalendar stream (read from stdin): the parser's and the iTIP
 * restrictions (icalcomponent_check_restrictions) that Evolution and GNOME apply. Every
 * X-LIC-ERROR property libical adds is printed; the exit status is 1 when there is any.
 * Compiled by tests/test_libical.py against libical-dev. */
#include <stdio.h>
#include <stdlib.h>
#include <libical/ical.h>

static int report(icalcomponent *component)
{
    int errors = 0;
    for (icalproperty *p = icalcomponent_get_first_property(component, ICAL_XLICERROR_PROPERTY); p;
         p = icalcomponent_get_next_property(component, ICAL_XLICERROR_PROPERTY)) {
        printf("%s: %s\n", icalcomponent_kind_to_string(icalcomponent_isa(component)),
               icalproperty_get_xlicerror(p));
        errors++;
    }
    for (icalcomponent *c = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT); c;
         c = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT))
        errors += report(c);
    return errors;
}

int main(void)
{
    size_t size = 0, used = 0;
    char *text = NULL;
    for (;;) {
        if (used + 4096 + 1 > size) {
            size = (used + 4096 + 1) * 2;
            text = realloc(text, size);
            if (!text)
                return 2;
        }
        size_t got = fread(text + used, 1, 4096, stdin);
        used += got;
        if (got == 0)
            break;
    }
    text[used] = '\0';
    icalcomponent *calendar = icalparser_parse_string(text);
    if (!calendar) {
        printf("not parsed\n");
        return 1;
    }
    icalcomponent_check_restrictions(calendar);
    int errors = report(calendar);
    icalcomponent_free(calendar);
    free(text);
    return errors ? 1 : 0;
}
