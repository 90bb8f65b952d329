"""Build the POST data an admin change page would send, from the page's own forms, so a
test changes only what it means to change."""


def _field_data(form):
    data = {}
    for bound in form:
        value = bound.value()
        name = bound.html_name
        if bound.field.show_hidden_initial and bound.initial is not None:
            # The value the page was shown with, as the hidden input beside the field.
            data[bound.html_initial_name] = str(bound.initial)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, (list, tuple)):
            data[name] = [str(item) for item in value]
        else:
            data[name] = str(value)
    return data


def change_form_data(response):
    """The data of a rendered admin add or change page, as the browser would post it."""
    context = response.context
    data = _field_data(context["adminform"].form)
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(_field_data(formset.management_form))
        for form in formset.forms:
            data.update(_field_data(form))
    return data


def post_changed(client, page, **changes):
    """Post the admin `page` (a response) as shown, with `changes` (field name -> value;
    None leaves the field out, as an unticked box) made."""
    data = change_form_data(page)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(page.request["PATH_INFO"], data)


def _formset(response, model_name):
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model._meta.model_name == model_name:
            return inline.formset
    raise LookupError(model_name)


def inline_prefix(response, model_name):
    """The form prefix of the inline for `model_name` on the page, e.g. 'levels'."""
    return _formset(response, model_name).prefix


def inline_row(response, model_name, **match):
    """The prefix and index of the inline row of `model_name` whose object matches."""
    formset = _formset(response, model_name)
    for index, form in enumerate(formset.forms):
        if all(getattr(form.instance, key) == value for key, value in match.items()):
            return formset.prefix, index
    raise LookupError(match)
