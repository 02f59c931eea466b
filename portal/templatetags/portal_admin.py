"""{% fast_result_list cl %}: admin/change_list_results.html with rows from portal.admin_list."""

from django import template

from portal.admin_list import fast_result_list

register = template.Library()

register.inclusion_tag("admin/change_list_results.html")(fast_result_list)
